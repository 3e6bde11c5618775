// The native setup (native/verity-prover `setup` and `contribute`) against snarkjs on the same
// circuit and powers of tau: the same .zkey byte for byte, contributions snarkjs's `zkey
// verify` accepts in any order with snarkjs's own, and typed errors for unusable files.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { contribute, devPowersOfTau, NATIVE_PROVER_BIN, NativeSetupError, nativeContribute, nativeNewZkey, nativeProverBuilt, Prover, releaseCurves, verifyProofFile, verifySetup } from '../index.js';
import { tinyCompiled, tinySamples } from '../../test/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'verity-native-setup-'));
after(releaseCurves);
const skip = nativeProverBuilt() ? false : `the native prover is not built (${NATIVE_PROVER_BIN}): no cargo at npm install`;

/** The tiny MLP's circuit and the dev powers of tau its compile used. */
async function circuit(): Promise<{ r1cs: string; ptau: string; dir: string }> {
  const { compiled } = await tinyCompiled();
  return { r1cs: compiled.path('r1cs'), ptau: await devPowersOfTau(compiled.report.setup.ptauPower), dir: compiled.dir };
}

test('the native phase-2 key is the file snarkjs zkey new writes, byte for byte', { skip }, async () => {
  const { r1cs, ptau } = await circuit();
  const [ours, theirs] = [join(tmp, 'native.zkey'), join(tmp, 'snarkjs.zkey')];
  const phases: string[] = [];
  const { csHash } = await nativeNewZkey(r1cs, ptau, ours, (e) => phases.push(e.phase));
  const hash = await snarkjs.zKey.newZKey(r1cs, ptau, theirs);
  assert.equal(csHash, Buffer.from(hash as Uint8Array).toString('hex'));
  assert.ok(readFileSync(ours).equals(readFileSync(theirs)), 'the two .zkey files differ');
  assert.ok(phases.includes('groth16 setup (native): B2 points'), phases.join(', '));
});

test('native and snarkjs contributions interleave and snarkjs zkey verify accepts them; a changed point is caught', { skip }, async () => {
  const { r1cs, ptau } = await circuit();
  const z = (i: number) => join(tmp, `c${i}.zkey`);
  await nativeNewZkey(r1cs, ptau, z(0));
  const alice = await nativeContribute(z(0), z(1), 'alice', 'alice entropy');
  await snarkjs.zKey.contribute(z(1), z(2), 'bob', 'bob entropy');
  const carol = await nativeContribute(z(2), z(3), 'carol', 'carol entropy');
  const lines: string[] = [];
  const push = (m: unknown) => lines.push(String(m));
  assert.equal(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, z(3), { info: push, warn: push, error: push, debug() {} }), true);
  const log = lines.join('\n').replace(/\s+/g, '');
  for (const [name, hash] of [['alice', alice.hash], ['carol', carol.hash]]) assert.ok(log.includes(`${name}:${hash}`), `${name}'s hash is not in snarkjs's log`);

  // one byte of the last H point changed: the key no longer verifies
  const bytes = readFileSync(z(3));
  bytes[bytes.length - 1000] = bytes[bytes.length - 1000]! ^ 1;
  writeFileSync(z(4), bytes);
  assert.equal(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, z(4), { info() {}, warn() {}, error() {}, debug() {} }), false);
});

test('verity setup contribute on the native backend: the model still proves, verifies, and its setup checks', { skip }, async () => {
  const { dir, ptau } = await circuit();
  const copy = join(tmp, 'model');
  cpSync(dir, copy, { recursive: true });
  const r = await contribute(copy, { name: 'dana', backend: 'native' });
  assert.match(r.hash, /^[0-9a-f]{128}$/);
  assert.equal((await verifySetup(copy, ptau)).ok, true);
  const proof = await (await Prover.load(copy, { backend: 'snarkjs' })).prove({ input: tinySamples(1, 3)[0]! }, 9n);
  assert.equal(await verifyProofFile(copy, proof), true);
});

test('unusable files are a NativeSetupError naming the file', { skip }, async () => {
  const { r1cs, ptau } = await circuit();
  await assert.rejects(nativeNewZkey(r1cs, r1cs, join(tmp, 'x.zkey')), (e: unknown) => e instanceof NativeSetupError && e.file === r1cs && /not a \.ptau/.test(e.reason));
  await assert.rejects(nativeNewZkey(ptau, ptau, join(tmp, 'x.zkey')), (e: unknown) => e instanceof NativeSetupError && /not an \.r1cs/.test(e.reason));
  await assert.rejects(nativeContribute(r1cs, join(tmp, 'y.zkey'), 'eve', 'e'), (e: unknown) => e instanceof NativeSetupError && e.file === r1cs);
});
