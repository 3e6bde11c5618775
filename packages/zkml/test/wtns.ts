import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Reads and rewrites witness values in snarkjs's .wtns format in place (header section 1:
 * n8, prime, count; section 2: the values, n8 bytes little-endian each).
 */
export function wtnsValues(file: string): { n8: number; offset: number; count: number; get(i: number): bigint; set(i: number, v: bigint): void } {
  const buf = readFileSync(file);
  let pos = 12; // "wtns", version, section count
  let n8 = 0, count = 0, offset = -1;
  while (pos < buf.length) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    if (type === 1) { n8 = buf.readUInt32LE(pos + 12); count = buf.readUInt32LE(pos + 12 + 4 + n8); }
    if (type === 2) offset = pos + 12;
    pos += 12 + size;
  }
  const get = (i: number) => { let v = 0n; for (let b = n8 - 1; b >= 0; b--) v = (v << 8n) | BigInt(buf[offset + i * n8 + b]!); return v; };
  const set = (i: number, v: bigint) => {
    for (let b = 0; b < n8; b++) { buf[offset + i * n8 + b] = Number(v & 0xffn); v >>= 8n; }
    writeFileSync(file, buf);
  };
  return { n8, offset, count, get, set };
}

/**
 * Witness indices by signal name from circom's .sym file (lines: label, witness index,
 * component, name); signals circom substituted away (index -1) are left out.
 */
export function symbolTable(symFile: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(symFile, 'utf8').split('\n')) {
    const [, witness, , label] = line.split(',');
    if (label && Number(witness) >= 0) m.set(label, Number(witness));
  }
  return m;
}

/** Witness index of a named signal that the witness holds. */
export function signalIndex(symFile: string, name: string): number {
  const index = symbolTable(symFile).get(name);
  if (index === undefined) throw new Error(`signal ${name} not in ${symFile}`);
  return index;
}
