import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { writeDevPtau } from './devPtau.js';
import { nativeProverBuilt } from '../prover/native.js';
import { releaseCurves } from '../teardown.js';

after(releaseCurves);

/** Sections of a snarkjs binary file: id -> contents. */
function sections(file: string): Map<number, Buffer> {
  const buf = readFileSync(file);
  const out = new Map<number, Buffer>();
  for (let pos = 12; pos < buf.length;) {
    const id = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    out.set(id, buf.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  return out;
}

function binFile(file: string, parts: Map<number, Buffer>) {
  const head = Buffer.alloc(12);
  head.write('ptau', 0, 'ascii');
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(parts.size, 8);
  const chunks: Buffer[] = [head];
  for (const [id, data] of parts) {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(id, 0);
    h.writeBigUInt64LE(BigInt(data.length), 4);
    chunks.push(h, data);
  }
  writeFileSync(file, Buffer.concat(chunks));
}

for (const backend of ['snarkjs', 'native'] as const) test(`the dev powers of tau (${backend === 'native' ? 'native core' : 'TypeScript'}) equal what snarkjs prepares from the same powers`, { skip: backend === 'native' && !nativeProverBuilt() && 'the native prover is not built (no cargo at npm install)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-ptau-'));
  const mine = join(dir, 'dev.ptau');
  await writeDevPtau(mine, 4, { tau: 123456789n, alpha: 987654321n, beta: 555555555n }, undefined, backend);
  const ours = sections(mine);
  // Keep only the phase-1 sections and let snarkjs compute the Lagrange sections itself.
  binFile(join(dir, 'phase1.ptau'), new Map([1, 2, 3, 4, 5, 6, 7].map((id) => [id, ours.get(id)!])));
  await snarkjs.powersOfTau.preparePhase2(join(dir, 'phase1.ptau'), join(dir, 'prepared.ptau'));
  const theirs = sections(join(dir, 'prepared.ptau'));
  for (const id of [12, 13, 14, 15]) {
    assert.equal(ours.get(id)!.length, theirs.get(id)!.length, `section ${id} size`);
    assert.ok(ours.get(id)!.equals(theirs.get(id)!), `section ${id} differs`);
  }
});

test('the native core writes the TypeScript dev powers of tau byte for byte', { skip: !nativeProverBuilt() && 'the native prover is not built (no cargo at npm install)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-ptau-'));
  const secrets = { tau: 2n ** 200n + 7n, alpha: 3n, beta: 2n ** 250n - 1n };
  const percents: number[] = [];
  await writeDevPtau(join(dir, 'native.ptau'), 6, secrets, (p) => percents.push(p), 'native');
  await writeDevPtau(join(dir, 'ts.ptau'), 6, secrets, undefined, 'snarkjs');
  assert.ok(readFileSync(join(dir, 'native.ptau')).equals(readFileSync(join(dir, 'ts.ptau'))), 'the two files differ');
  assert.equal(percents.at(-1), 100);
});
