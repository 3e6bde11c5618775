// Linking a sharded circuit (see generateShards): the parts' R1CS files become one R1CS, and
// the parts' witnesses one witness. Part p's input wires are identified with the wires that
// compute those model signals (the head's input `u`, or an earlier part's output), and the
// head's `z` inputs with the parts' outputs: every part constraint is kept as compiled, over
// renumbered wires, so the linked circuit is exactly as constrained as one compiled whole.
import { closeSync, createReadStream, openSync, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { WitnessGenerator } from './prover/witness.js';

/** Where a sharded model's link.json sits in its artefact directory. */
export const LINK_FILE = 'link.json';

/** One part of a linked circuit, as link.json records it. */
export type LinkedPart = {
  /** witness generator and wire map, relative to the artefact directory */
  wasm: string;
  map: string;
  /** model signal ids the part reads (its inputs `x`) and hands on (its outputs `y`) */
  inputs: number[];
  outputs: number[];
  /** the part's own wire index of each output `y[j]` */
  outputWires: number[];
  wires: number;
  constraints: number;
};

/** link.json: how the head and the parts of a sharded circuit form one circuit. */
export type LinkFile = {
  version: 1;
  /** wires of the linked circuit; the head's wires come first, unchanged (so are the public signals) */
  wires: number;
  constraints: number;
  /** model signal ids the head takes as its private inputs `z` (the model's outputs) */
  z: number[];
  parts: LinkedPart[];
};

type R1cs = {
  buf: Buffer; n8: number; prime: Buffer;
  nWires: number; nPubOut: number; nPubIn: number; nPrvIn: number; nConstraints: number;
  constraints: { offset: number; size: number };
};

/** The section table of an iden3 binary file (.r1cs, .wtns): where each section's bytes are, by type. */
export function binSections(buf: Buffer, magic: string, version: number, what: string): Map<number, { offset: number; size: number }> {
  if (buf.toString('latin1', 0, 4) !== magic || buf.readUInt32LE(4) !== version) throw new Error(`internal: ${what} is not a ${magic} file (version ${version})`);
  const sections = new Map<number, { offset: number; size: number }>();
  let pos = 12;
  for (let s = buf.readUInt32LE(8); s > 0; s--) {
    const size = Number(buf.readBigUInt64LE(pos + 4));
    sections.set(buf.readUInt32LE(pos), { offset: pos + 12, size });
    pos += 12 + size;
  }
  return sections;
}

/** An iden3 binary file as chunks: magic, version, then each section as its type, u64 size and bytes. */
export function binFile(magic: string, version: number, sections: [type: number, chunks: Buffer[]][]): Buffer[] {
  const start = Buffer.alloc(12);
  start.write(magic, 0, 'latin1');
  start.writeUInt32LE(version, 4);
  start.writeUInt32LE(sections.length, 8);
  return [start, ...sections.flatMap(([type, chunks]) => {
    const head = Buffer.alloc(12);
    head.writeUInt32LE(type, 0);
    head.writeBigUInt64LE(BigInt(chunks.reduce((a, c) => a + c.length, 0)), 4);
    return [head, ...chunks];
  })];
}

/** The header and the constraint section of an .r1cs file (iden3 binary format, version 1). */
export function readR1cs(path: string): R1cs {
  const buf = readFileSync(path);
  const sections = binSections(buf, 'r1cs', 1, path);
  const h = sections.get(1), constraints = sections.get(2);
  if (!h || !constraints) throw new Error(`internal: ${path} has no header or constraint section`);
  const n8 = buf.readUInt32LE(h.offset);
  const at = h.offset + 4 + n8;
  return {
    buf, n8, prime: buf.subarray(h.offset + 4, at),
    nWires: buf.readUInt32LE(at), nPubOut: buf.readUInt32LE(at + 4), nPubIn: buf.readUInt32LE(at + 8), nPrvIn: buf.readUInt32LE(at + 12),
    nConstraints: buf.readUInt32LE(at + 24), constraints,
  };
}

/** The constraint section with every wire id `w` replaced by `map[w]`. */
function remapConstraints(r: R1cs, map?: Uint32Array): Buffer {
  const out = Buffer.from(r.buf.subarray(r.constraints.offset, r.constraints.offset + r.constraints.size));
  if (!map) return out;
  let p = 0;
  for (let c = 0; c < r.nConstraints; c++) {
    for (let lc = 0; lc < 3; lc++) {
      const n = out.readUInt32LE(p);
      p += 4;
      for (let t = 0; t < n; t++, p += 4 + r.n8) out.writeUInt32LE(map[out.readUInt32LE(p)]!, p);
    }
  }
  if (p !== out.length) throw new Error('internal: r1cs constraint section has trailing bytes');
  return out;
}

/** Wire index of each `main.<name>[i]` signal, read from a circom .sym file. */
export async function symbolWires(path: string, names: readonly string[]): Promise<Record<string, number[]>> {
  const found: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const re = new RegExp(`^\\d+,(-?\\d+),\\d+,main\\.(${names.join('|')})(?:\\[(\\d+)\\])?$`);
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    const m = re.exec(line);
    if (m) found[m[2]!]![Number(m[3] ?? 0)] = Number(m[1]);
  }
  for (const [name, wires] of Object.entries(found)) {
    if (wires.length === 0 || Array.from(wires, (w) => w === undefined || w < 0).some(Boolean)) throw new Error(`internal: main.${name} has a signal without a wire in ${path}`);
  }
  return found;
}

/**
 * Links compiled parts into one R1CS at `out`: the head's wires keep their numbers, each
 * part's inputs become the wires that compute them and its other wires are appended. Returns
 * link.json's content; writes each part's wire map (little-endian u32 per part wire) to its
 * `map` path under `dir`.
 */
export async function linkCircuit(p: {
  dir: string; out: string; inputCount: number; z: number[];
  head: { r1cs: string; sym: string };
  parts: { r1cs: string; sym: string; wasm: string; map: string; inputs: number[]; outputs: number[] }[];
}): Promise<LinkFile> {
  const head = readR1cs(p.head.r1cs);
  const hw = await symbolWires(p.head.sym, p.z.length > 0 ? ['binding', 'u', 'z'] : ['binding', 'u']);
  // The linked circuit's public signals: the head's outputs, then the binding (its first input).
  if (hw.binding![0] !== head.nPubOut + 1) throw new Error('internal: the head\'s binding is not its first public input');
  const nPubIn = 1;
  const wire = new Map<number, number>();
  for (let i = 0; i < p.inputCount; i++) wire.set(i, hw.u![i]!);
  p.z.forEach((id, j) => wire.set(id, hw.z![j]!));
  let next = head.nWires;
  const sections: Buffer[] = [remapConstraints(head)];
  const parts: LinkedPart[] = [];
  let constraints = head.nConstraints;
  const UNSET = 0xffffffff;
  for (const part of p.parts) {
    const r = readR1cs(part.r1cs);
    if (r.prime.compare(head.prime) !== 0) throw new Error('internal: circuit parts over different fields');
    const pw = await symbolWires(part.sym, ['x', 'y']);
    const map = new Uint32Array(r.nWires).fill(UNSET);
    map[0] = 0;
    part.inputs.forEach((id, i) => {
      const w = wire.get(id);
      if (w === undefined) throw new Error(`internal: part reads signal ${id} before any part computes it`);
      map[pw.x![i]!] = w;
    });
    part.outputs.forEach((id, j) => {
      const w = wire.get(id) ?? next++;
      wire.set(id, w);
      map[pw.y![j]!] = w;
    });
    for (let j = 1; j < map.length; j++) if (map[j] === UNSET) map[j] = next++;
    sections.push(remapConstraints(r, map));
    constraints += r.nConstraints;
    writeFileFully(`${p.dir}/${part.map}`, [Buffer.from(map.buffer, map.byteOffset, map.byteLength)]);
    parts.push({ wasm: part.wasm, map: part.map, inputs: part.inputs, outputs: part.outputs, outputWires: pw.y!, wires: r.nWires, constraints: r.nConstraints });
  }
  const header = Buffer.alloc(4 + head.n8 + 28);
  header.writeUInt32LE(head.n8, 0);
  head.prime.copy(header, 4);
  let o = 4 + head.n8;
  for (const v of [next, head.nPubOut, nPubIn, head.nPrvIn + head.nPubIn - nPubIn]) { header.writeUInt32LE(v, o); o += 4; }
  header.writeBigUInt64LE(BigInt(next), o);
  header.writeUInt32LE(constraints, o + 8);
  const labels = Buffer.alloc(8 * next);
  for (let i = 0; i < next; i++) labels.writeBigUInt64LE(BigInt(i), 8 * i);
  writeFileFully(p.out, binFile('r1cs', 1, [[1, [header]], [2, sections], [3, [labels]]]));
  return { version: 1, wires: next, constraints, z: p.z, parts };
}

export function writeFileFully(path: string, chunks: Iterable<Buffer>) {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) for (let off = 0; off < c.length;) off += writeSync(fd, c, off, c.length - off);
  } finally {
    closeSync(fd);
  }
}

/** A witness as circom's generator writes it: field size, prime and the values (little-endian). */
type Witness = { n8: number; prime: Buffer; values: Buffer };

async function calculateWitness(inputs: Record<string, unknown>, generator: WitnessGenerator): Promise<Witness> {
  const data = await generator.calculate(inputs);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const sections = binSections(buf, 'wtns', 2, 'the witness generator\'s output');
  const h = sections.get(1)!, v = sections.get(2)!;
  const n8 = buf.readUInt32LE(h.offset);
  return { n8, prime: buf.subarray(h.offset + 4, h.offset + 4 + n8), values: buf.subarray(v.offset, v.offset + v.size) };
}

const fieldAt = (w: Witness, i: number): bigint => {
  let v = 0n;
  for (let b = w.n8 - 1; b >= 0; b--) v = (v << 8n) | BigInt(w.values[i * w.n8 + b]!);
  return v;
};

/**
 * Computes a linked circuit's witness: each part's generator on the values its inputs name
 * (the encoded input or earlier parts' outputs), then the head's with the model outputs as
 * `z`, assembled through the wire maps into one .wtns file (returned as bytes).
 */
export class LinkedWitness {
  // Every part's generator and the head's stay instantiated between witnesses.
  private constructor(private readonly link: LinkFile, private readonly head: WitnessGenerator, private readonly parts: { generator: WitnessGenerator; map: Uint32Array }[]) {}

  static load(dir: string, link: LinkFile, headWasm: Uint8Array): LinkedWitness {
    return new LinkedWitness(link, new WitnessGenerator(headWasm), link.parts.map((p) => {
      const b = readFileSync(`${dir}/${p.map}`);
      return { generator: new WitnessGenerator(readFileSync(`${dir}/${p.wasm}`)), map: new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
    }));
  }

  /** Ends every part's and the head's witness worker (a later witness starts them again). */
  async close(): Promise<void> {
    await Promise.all([this.head, ...this.parts.map((p) => p.generator)].map((g) => g.close()));
  }

  /**
   * `handOn` replaces the value a part hands on for some model signals: what a dishonest prover
   * could try (the soundness tests do). The part's own witness keeps what it computed, later
   * parts and the head get the replacement, so the linked witness breaks a constraint.
   */
  async calculate(headInputs: Record<string, unknown>, u: readonly bigint[], handOn?: ReadonlyMap<number, bigint>): Promise<Uint8Array> {
    const value = new Map<number, bigint>(u.map((v, i) => [i, v]));
    const witnesses: Witness[] = [];
    for (const [k, part] of this.link.parts.entries()) {
      const w = await calculateWitness({ x: part.inputs.map((id) => value.get(id)!.toString()) }, this.parts[k]!.generator);
      part.outputs.forEach((id, j) => value.set(id, handOn?.get(id) ?? fieldAt(w, part.outputWires[j]!)));
      witnesses.push(w);
    }
    const z = this.link.z.map((id) => value.get(id)!.toString());
    const head = await calculateWitness(z.length > 0 ? { ...headInputs, z } : headInputs, this.head);
    const n8 = head.n8;
    const values = Buffer.alloc(this.link.wires * n8);
    // Parts first, each over the last; the head last: a linked wire holds its consumer's value.
    witnesses.forEach((w, k) => {
      const map = this.parts[k]!.map;
      for (let j = 1; j < map.length; j++) w.values.copy(values, map[j]! * n8, j * n8, (j + 1) * n8);
    });
    head.values.copy(values, 0);
    const header = Buffer.alloc(8 + n8);
    header.writeUInt32LE(n8, 0);
    head.prime.copy(header, 4);
    header.writeUInt32LE(this.link.wires, 4 + n8);
    return Buffer.concat(binFile('wtns', 2, [[1, [header]], [2, [values]]]));
  }
}
