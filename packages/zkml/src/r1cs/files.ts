// The iden3 binary files the setup and the provers read: .r1cs (header, constraints, wire to
// label map) and .wtns (header, values). Wires are the labels left after the eliminations, in
// label order, so the constant, the public and the private inputs keep their numbers.
import { binFile } from '../link.js';
import { P, type ConstraintStore } from './system.js';
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

/** Writes into buffers of about 1 MiB, handed on as they fill (a multi-million constraint file is never held whole). */
class ChunkWriter {
  private full: Buffer[] = [];
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  private room(n: number) {
    if (this.pos + n <= this.buf.length) return;
    this.full.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.alloc(Math.max(1 << 20, n));
    this.pos = 0;
  }
  u32(v: number) { this.room(4); this.buf.writeUInt32LE(v, this.pos); this.pos += 4; }
  field(v: bigint) { this.room(N8); writeField(this.buf, this.pos, v); this.pos += N8; }
  /** A coefficient given as a signed safe integer (negative: P - |k|) or a bigint mod P. */
  coefficient(k: number | bigint) {
    if (typeof k === 'bigint') { this.field(k); return; }
    this.room(N8);
    if (k >= 0) {
      this.buf.fill(0, this.pos, this.pos + N8);
      this.buf.writeUInt32LE(k % 2 ** 32, this.pos);
      this.buf.writeUInt32LE(Math.floor(k / 2 ** 32), this.pos + 4);
    } else {
      // P - |k| limb by limb (32 bits), |k| < 2^53
      const m = -k;
      let borrow = 0;
      for (let i = 0; i < 8; i++) {
        const sub = i === 0 ? m % 2 ** 32 : i === 1 ? Math.floor(m / 2 ** 32) : 0;
        let d = P_LIMBS[i]! - sub - borrow;
        borrow = d < 0 ? 1 : 0;
        if (d < 0) d += 2 ** 32;
        this.buf.writeUInt32LE(d, this.pos + 4 * i);
      }
    }
    this.pos += N8;
  }
  /** The buffers filled so far (`all`: and the one in progress). */
  take(all = false): Buffer[] {
    if (all && this.pos > 0) { this.full.push(this.buf.subarray(0, this.pos)); this.buf = Buffer.alloc(1 << 20); this.pos = 0; }
    const out = this.full;
    this.full = [];
    return out;
  }
}

const P_LIMBS = Array.from({ length: 8 }, (_, i) => Number((P >> BigInt(32 * i)) & 0xffffffffn));

const sectionHead = (type: number, size: number) => {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(type, 0);
  head.writeBigUInt64LE(BigInt(size), 4);
  return head;
};

/**
 * The .r1cs file (version 1: header, constraints, wire-to-label map), produced buffer by
 * buffer from the flat constraint store: the constraint section is never held whole.
 */
export function* r1csFile(store: ConstraintStore, labels: number, eliminated: readonly number[], shape: CircuitShape): Generator<Buffer> {
  const map = wireMap(labels, eliminated);
  const nWires = labels - eliminated.length;
  let size = 0;
  for (let i = 0; i < store.count; i++) for (const j of [0, 1, 2] as const) size += 4 + (4 + N8) * store.size(i, j);
  const header = Buffer.alloc(4 + N8 + 28);
  header.writeUInt32LE(N8, 0);
  primeBytes().copy(header, 4);
  let o = 4 + N8;
  for (const v of [nWires, shape.publicOutputs, shape.publicInputs, shape.privateInputs]) { header.writeUInt32LE(v, o); o += 4; }
  header.writeBigUInt64LE(BigInt(labels), o);
  header.writeUInt32LE(store.count, o + 8);
  const [start] = binFile('r1cs', 1, [[1, []], [2, []], [3, []]]);
  yield start!;
  yield sectionHead(1, header.length);
  yield header;
  yield sectionHead(2, size);
  const w = new ChunkWriter();
  const term = (l: number, k: number | bigint) => {
    const wire = map[l]!;
    if (wire < 0) throw new Error('internal: a constraint reads an eliminated wire');
    w.u32(wire);
    w.coefficient(k);
  };
  for (let i = 0; i < store.count; i++) {
    for (const j of [0, 1, 2] as const) { w.u32(store.size(i, j)); store.forEachTerm(i, j, term); }
    yield* w.take();
  }
  yield* w.take(true);
  const labelMap = Buffer.alloc(8 * nWires);
  for (let l = 0; l < labels; l++) if (map[l]! >= 0) labelMap.writeBigUInt64LE(BigInt(l), 8 * map[l]!);
  yield sectionHead(3, labelMap.length);
  yield labelMap;
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
