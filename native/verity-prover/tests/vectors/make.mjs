// Regenerates the test vectors the Rust tests share with snarkjs (run from the repo root:
// `node --import tsx native/verity-prover/tests/vectors/make.mjs`): a small circuit (four products summed,
// `a` public), a dev powers of tau 2^5 (ptau.ptau, 40 kB), snarkjs's .zkey of the circuit over
// it (`zkey new`), one witness, snarkjs's proof and public signals for it, and snarkjs's
// `hashToG2` of one hash. The Rust tests verify snarkjs's proof with the key they parse, prove
// the same witness themselves, write the same .zkey from the .r1cs and the .ptau, and derive
// the same G2 point.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { writeDevPtau } from '@verity/zkml';

const here = import.meta.dirname;
const work = mkdtempSync(join(tmpdir(), 'verity-vectors-'));
writeFileSync(join(work, 'circuit.circom'), `pragma circom 2.0.0;
template SumOfProducts(n) {
  signal input a[n];
  signal input b[n];
  signal output c;
  signal p[n];
  var s = 0;
  for (var i = 0; i < n; i++) { p[i] <== a[i] * b[i]; s += p[i]; }
  c <== s * s;
}
component main {public [a]} = SumOfProducts(4);
`);
const cli = createRequire(import.meta.url).resolve('circom2/cli.js');
execFileSync(process.execPath, [cli, 'circuit.circom', '--r1cs', '--wasm', '-o', '.'], { cwd: work, stdio: 'ignore' });
const ptau = join(here, 'ptau.ptau');
await writeDevPtau(ptau, 5);
await snarkjs.zKey.newZKey(join(work, 'circuit.r1cs'), ptau, join(here, 'circuit.zkey'));
const vk = await snarkjs.zKey.exportVerificationKey(join(here, 'circuit.zkey'));
writeFileSync(join(here, 'verification_key.json'), JSON.stringify(vk, null, 1));
await snarkjs.wtns.calculate({ a: [1, 2, 3, 4], b: [5, 6, 7, 8] }, join(work, 'circuit_js', 'circuit.wasm'), join(here, 'witness.wtns'));
copyFileSync(join(work, 'circuit.r1cs'), join(here, 'circuit.r1cs'));
const { proof, publicSignals } = await snarkjs.groth16.prove(join(here, 'circuit.zkey'), join(here, 'witness.wtns'));
writeFileSync(join(here, 'proof.json'), JSON.stringify(proof, null, 1));
writeFileSync(join(here, 'public.json'), JSON.stringify(publicSignals));
{
  // snarkjs's hashToG2 (keypair.js): ChaCha seeded with the hash, a point of the twist, times the cofactor
  const { getCurveFromName, ChaCha } = await import('ffjavascript');
  const curve = await getCurveFromName('bn128', true);
  const hash = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  const v = new DataView(hash.buffer);
  const p = curve.G2.toObject(curve.G2.toAffine(curve.G2.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => v.getUint32(i * 4))))));
  writeFileSync(join(here, 'hash_to_g2.json'), JSON.stringify({ hash: Buffer.from(hash).toString('hex'), point: p.map((c) => c.map(String)) }, null, 1));
  await curve.terminate();
}
console.log('vectors written:', publicSignals, readFileSync(join(here, 'circuit.zkey')).length, 'bytes of zkey');
const g = globalThis.curve_bn128; if (g) await g.terminate();
process.exit(0);
