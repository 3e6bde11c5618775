// The iden3 binary files the setup and the provers read: .r1cs (header, constraints, wire to
// label map) and .wtns (header, values). Wires are the labels left after the eliminations, in
// label order, so the constant, the public and the private inputs keep their numbers.
import { binFile } from '../link.js';
import { P, type Constraint, type Lc } from './system.js';
import type { CircuitShape } from './circuit.js';

const N8 = 32;

function primeBytes(): Buffer {
  const b = Buffer.alloc(N8);
  writeField(b, 0, P);
  return b;
}

function writeField(b: Buffer, at: number, v: bigint): void {
  for (let i = 0; i < 4; i++) { b.writeBigUInt64LE(v & 0xffffffffffffffffn, at + 8 * i); v >>= 64n; }
}

/** Wire index of each label (-1 for an eliminated one). */
export function wireMap(labels: number, eliminated: readonly number[]): Int32Array {
  const map = new Int32Array(labels);
  let e = 0, wire = 0;
  for (let l = 0; l < labels; l++) {
    if (e < eliminated.length && eliminated[e] === l) { map[l] = -1; e++; } else map[l] = wire++;
  }
  return map;
}

/** Appends buffers in chunks of about 1 MiB (a multi-million constraint file is never one allocation per term). */
class ChunkWriter {
  readonly chunks: Buffer[] = [];
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  private room(n: number) {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.alloc(Math.max(1 << 20, n));
    this.pos = 0;
  }
  u32(v: number) { this.room(4); this.buf.writeUInt32LE(v, this.pos); this.pos += 4; }
  field(v: bigint) { this.room(N8); writeField(this.buf, this.pos, v); this.pos += N8; }
  done(): Buffer[] { this.chunks.push(this.buf.subarray(0, this.pos)); return this.chunks; }
}

/** The .r1cs file (version 1: header, constraints, wire-to-label map) as buffers. */
export function r1csFile(constraints: readonly Constraint[], labels: number, eliminated: readonly number[], shape: CircuitShape): Buffer[] {
  const map = wireMap(labels, eliminated);
  const nWires = labels - eliminated.length;
  const w = new ChunkWriter();
  const lc = (x: Lc) => {
    const terms = [...x.entries()].map(([l, k]) => [map[l]!, k] as const).sort((a, b) => a[0] - b[0]);
    w.u32(terms.length);
    for (const [wire, k] of terms) {
      if (wire < 0) throw new Error('internal: a constraint reads an eliminated wire');
      w.u32(wire);
      w.field(k);
    }
  };
  for (const c of constraints) { lc(c.a); lc(c.b); lc(c.c); }
  const header = Buffer.alloc(4 + N8 + 28);
  header.writeUInt32LE(N8, 0);
  primeBytes().copy(header, 4);
  let o = 4 + N8;
  for (const v of [nWires, shape.publicOutputs, shape.publicInputs, shape.privateInputs]) { header.writeUInt32LE(v, o); o += 4; }
  header.writeBigUInt64LE(BigInt(labels), o);
  header.writeUInt32LE(constraints.length, o + 8);
  const labelMap = Buffer.alloc(8 * nWires);
  for (let l = 0; l < labels; l++) if (map[l]! >= 0) labelMap.writeBigUInt64LE(BigInt(l), 8 * map[l]!);
  return binFile('r1cs', 1, [[1, [header]], [2, w.done()], [3, [labelMap]]]);
}

/** The .wtns file (version 2) of label values, without the eliminated labels. */
export function wtnsFile(values: readonly bigint[], eliminated: readonly number[]): Buffer {
  const map = wireMap(values.length, eliminated);
  const nWires = values.length - eliminated.length;
  const data = Buffer.alloc(nWires * N8);
  values.forEach((v, l) => { if (map[l]! >= 0) writeField(data, map[l]! * N8, v); });
  const header = Buffer.alloc(8 + N8);
  header.writeUInt32LE(N8, 0);
  primeBytes().copy(header, 4);
  header.writeUInt32LE(nWires, 4 + N8);
  return Buffer.concat(binFile('wtns', 2, [[1, [header]], [2, [data]]]));
}
