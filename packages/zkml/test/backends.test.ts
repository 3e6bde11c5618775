// `--backend r1cs` (the default) against `--backend circom` on every example model in models/, a
// small CNN and committed weights: the same constraint count and the same public signals for
// the same input, with snarkjs's own checker accepting the r1cs backend's .r1cs and .wtns files; then a proof from
// the r1cs backend verifies off chain and with the generated Verifier.sol on anvil, and fails
// once a public signal changes or is aliased (the same value plus the field modulus).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import type { Abi, Hex } from 'viem';
import { compileModel, inputCommitment, loadCompiled, Prover, quantizeInput, readSamplesFile, releaseCurves, verifyProofFile, IncompatibleOptionsError, UnsupportedBackendError } from './exports.js';
import { cnnSamples, oneThird, smallCnn, TINY_ONNX, tinySamples } from './fixtures.js';
import { wtnsValues } from './wtns.js';
import { r1csWitness } from '../src/r1cs/witness.js';
import { weightSignals } from '../src/codegen/circom.js';
import { defaultBackend } from '../src/compile.js';
import { P } from '../src/r1cs/system.js';
import { startAnvil } from '../../cli/src/anvil.js';
import { anvilKey, connect } from '../../cli/src/chain.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-backends-'));
const quiet = { warn() {}, info() {}, error() {}, debug() {} };
after(releaseCurves);

const models = join(import.meta.dirname, '..', '..', '..', 'models');
const spam = { onnx: readFileSync(join(models, 'spam', 'spam.onnx')), samples: readSamplesFile(readFileSync(join(models, 'spam', 'calibration.json'), 'utf8')) };
assert.deepEqual(readdirSync(models).filter((d) => existsSync(join(models, d, `${d}.onnx`))).sort(), ['credit', 'fraud', 'signal', 'spam'], 'every example model is compared below');

const example = (name: string) => {
  const samples = readSamplesFile(readFileSync(join(models, name, 'calibration.json'), 'utf8'));
  return { name: `${name} (models/${name})`, onnx: readFileSync(join(models, name, `${name}.onnx`)), calibration: samples, inputs: samples.slice(0, 3) };
};

// Every example model in models/ (what `verity dev` serves), a small CNN, and committed weights.
const cases: { name: string; onnx: Uint8Array; calibration: number[][]; inputs: number[][]; weights?: 'committed' }[] = [
  ...['spam', 'credit', 'fraud', 'signal'].map(example),
  { name: 'small CNN (conv, ReLU, Gemm, Sigmoid)', onnx: smallCnn(), calibration: cnnSamples(16), inputs: cnnSamples(3, 6, 9) },
  { name: 'spam MLP, --weights committed', onnx: spam.onnx, calibration: spam.samples, inputs: spam.samples.slice(0, 2), weights: 'committed' },
  { name: 'small CNN, --weights committed', onnx: smallCnn(), calibration: cnnSamples(16), inputs: cnnSamples(2, 6), weights: 'committed' },
  { name: 'integer semantics (Cast to int64, int64 Div by 3: 1 / 3 = 0)', onnx: oneThird(), calibration: [[1, 2, 3, -4], [-1, -2, -3, 4]], inputs: [[1, 2, 3, -4], [7, -7, 0, 5]] },
];

for (const c of cases) {
  test(`${c.name}: both backends give the same constraint count and the same public signals`, async () => {
    const dirs = { circom: join(scratch, `${c.name}-circom`), r1cs: join(scratch, `${c.name}-r1cs`) };
    const reports = {
      circom: await compileModel(c.onnx, { out: dirs.circom, calibration: c.calibration, setup: false, weights: c.weights, backend: 'circom' }),
      r1cs: await compileModel(c.onnx, { out: dirs.r1cs, calibration: c.calibration, setup: false, weights: c.weights, backend: 'r1cs' }),
    };
    if (c.weights) assert.equal(reports.r1cs.weights?.commitment, reports.circom.weights?.commitment, 'the same weight commitment');
    console.log(`${c.name}: circom ${reports.circom.constraints} constraints, r1cs ${reports.r1cs.constraints}`);
    assert.equal(reports.r1cs.constraints, reports.circom.constraints);
    assert.deepEqual(reports.r1cs.constraintsByPart, reports.circom.constraintsByPart);
    assert.equal(reports.r1cs.backend, 'r1cs');
    const circomInfo = await snarkjs.r1cs.info(join(dirs.circom, 'circuit.r1cs'));
    const r1csInfo = await snarkjs.r1cs.info(join(dirs.r1cs, 'circuit.r1cs'));
    for (const k of ['nOutputs', 'nPubInputs', 'nPrvInputs'] as const) assert.equal(r1csInfo[k], circomInfo[k], k);
    const model = JSON.parse(readFileSync(join(dirs.r1cs, 'model.json'), 'utf8'), (_k, v) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
    const eliminated = JSON.parse(readFileSync(join(dirs.r1cs, 'circuit.eliminated.json'), 'utf8'));
    const nPublic = reports.r1cs.layout.publicSignals;
    for (const [i, x] of c.inputs.entries()) {
      const u = quantizeInput(model, x);
      const binding = 1000n + BigInt(i);
      const files = { circom: join(scratch, `c${i}.wtns`), r1cs: join(scratch, `r${i}.wtns`) };
      await snarkjs.wtns.calculate({ u: u.map(String), binding: String(binding), ...(c.weights ? weightSignals(model, true) : {}) }, join(dirs.circom, 'circuit_js', 'circuit.wasm'), files.circom);
      writeFileSync(files.r1cs, r1csWitness(model, 'committed', eliminated, u, binding, c.weights ?? 'constant'));
      assert.equal(await snarkjs.wtns.check(join(dirs.r1cs, 'circuit.r1cs'), files.r1cs, quiet), true, 'snarkjs accepts the r1cs backend\'s witness for its r1cs');
      const [a, b] = [wtnsValues(files.circom), wtnsValues(files.r1cs)];
      const publics = (w: typeof a) => Array.from({ length: nPublic }, (_, j) => w.get(1 + j));
      assert.deepEqual(publics(b), publics(a), `input ${i}: public signals`);
    }
  });
}

test('the default backend is r1cs; circom stays for what only it builds (--weights signals, --shard); --backend r1cs with --shard is refused', () => {
  assert.equal(defaultBackend({}), 'r1cs');
  assert.equal(defaultBackend({ weights: 'committed' }), 'r1cs');
  assert.equal(defaultBackend({ weights: 'signals' }), 'circom');
  assert.equal(defaultBackend({ shard: 100_000 }), 'circom');
  assert.equal(defaultBackend({ backend: 'circom' }), 'circom');
  assert.throws(() => defaultBackend({ backend: 'r1cs', shard: 100_000 }), (e: unknown) => e instanceof IncompatibleOptionsError && /parts are for --backend circom/.test((e as Error).message));
});

test('--backend r1cs refuses weights as unpinned signals, with a typed error', async () => {
  for (const weights of ['signals'] as const) {
    await assert.rejects(compileModel(TINY_ONNX, { out: join(scratch, `refused-${weights}`), calibration: tinySamples(8), setup: false, backend: 'r1cs', weights }),
      (e: unknown) => e instanceof UnsupportedBackendError && e.feature === `--weights ${weights}`);
  }
});

test('a proof from the r1cs backend verifies (snarkjs and Verifier.sol on anvil) and fails on a changed or aliased public signal', async () => {
  const dir = join(scratch, 'tiny-r1cs');
  await compileModel(TINY_ONNX, { out: dir, calibration: tinySamples(32), backend: 'r1cs' });
  const prover = await Prover.load(dir);
  try {
    const file = await prover.prove({ input: tinySamples(1, 9)[0]! }, 77n);
    assert.equal(await verifyProofFile(dir, file), true);
    for (let i = 0; i < file.publicSignals.length; i++) {
      for (const changed of [BigInt(file.publicSignals[i]!) + 1n, BigInt(file.publicSignals[i]!) + P]) {
        const publicSignals = file.publicSignals.map((s, j) => (j === i ? changed.toString() : s));
        assert.equal(await verifyProofFile(dir, { proof: file.proof, publicSignals }), false, `public signal ${i} set to ${changed}`);
      }
    }
    const anvil = await startAnvil();
    try {
      const { publicClient, wallet } = await connect(anvil.rpcUrl).then((c) => ({ publicClient: c.publicClient, wallet: c.wallet(anvilKey(0)) }));
      const build = JSON.parse(readFileSync(loadCompiled(dir).path('verifierBuild'), 'utf8')) as { abi: Abi; bytecode: Hex };
      const hash = await wallet.deployContract({ abi: build.abi, bytecode: build.bytecode, account: wallet.account, chain: wallet.chain });
      const address = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
      // snarkjs's own calldata for the proof: [a, b, c, signals], b's coordinates swapped as the verifier takes them.
      const [a, b, c] = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(file.proof, file.publicSignals)}]`) as [string[], string[][], string[]];
      const verify = (signals: readonly string[]) => publicClient.readContract({
        address, abi: build.abi, functionName: 'verifyProof', args: [a, b, c, signals.map(BigInt)],
      }) as Promise<boolean>;
      assert.equal(await verify(file.publicSignals), true, 'Verifier.sol accepts the proof');
      assert.equal(await verify([String(BigInt(file.publicSignals[0]!) + 1n), ...file.publicSignals.slice(1)]), false, 'Verifier.sol refuses a changed output word');
    } finally {
      await anvil.stop();
    }
  } finally {
    await prover.backend.close();
  }
});

test('--backend r1cs --weights committed: a proof verifies under the input commitment seeded with the registered weight commitment', async () => {
  const dir = join(scratch, 'tiny-r1cs-committed');
  const report = await compileModel(TINY_ONNX, { out: dir, calibration: tinySamples(16, 3), backend: 'r1cs', weights: 'committed' });
  const prover = await Prover.load(dir);
  try {
    const x = tinySamples(1, 43)[0]!;
    const file = await prover.prove({ input: x }, 5n);
    assert.equal(await verifyProofFile(dir, file), true);
    const u = quantizeInput(prover.compiled.model, x);
    assert.equal(BigInt(file.publicSignals[report.layout.outputWords]!), await inputCommitment(report.layout, u, BigInt(report.weights!.commitment)));
    assert.notEqual(BigInt(file.publicSignals[report.layout.outputWords]!), await inputCommitment(report.layout, u), 'the commitment depends on the weights');
  } finally {
    await prover.backend.close();
  }
});
