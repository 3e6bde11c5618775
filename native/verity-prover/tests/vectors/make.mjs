// Regenerates the test vectors the Rust tests share with snarkjs (run from the repo root:
// `node native/verity-prover/tests/vectors/make.mjs`): a small circuit (four products summed,
// `a` public), its .zkey from the cached dev powers of tau 2^10, one witness, and snarkjs's
// proof and public signals for it. The Rust tests verify snarkjs's proof with the key they
// parse, and prove the same witness themselves.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { devPowersOfTau } from '@verity/zkml';

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
const ptau = await devPowersOfTau(10);
await snarkjs.zKey.newZKey(join(work, 'circuit.r1cs'), ptau, join(here, 'circuit.zkey'));
const vk = await snarkjs.zKey.exportVerificationKey(join(here, 'circuit.zkey'));
writeFileSync(join(here, 'verification_key.json'), JSON.stringify(vk, null, 1));
await snarkjs.wtns.calculate({ a: [1, 2, 3, 4], b: [5, 6, 7, 8] }, join(work, 'circuit_js', 'circuit.wasm'), join(here, 'witness.wtns'));
copyFileSync(join(work, 'circuit.r1cs'), join(here, 'circuit.r1cs'));
const { proof, publicSignals } = await snarkjs.groth16.prove(join(here, 'circuit.zkey'), join(here, 'witness.wtns'));
writeFileSync(join(here, 'proof.json'), JSON.stringify(proof, null, 1));
writeFileSync(join(here, 'public.json'), JSON.stringify(publicSignals));
console.log('vectors written:', publicSignals, readFileSync(join(here, 'circuit.zkey')).length, 'bytes of zkey');
const g = globalThis.curve_bn128; if (g) await g.terminate();
process.exit(0);
