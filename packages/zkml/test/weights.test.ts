import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { compileModel, IncompatibleOptionsError, inputCommitment, inferQuantized, Prover, quantizeInput, releaseCurves, verifyProofFile, weightCommitment, weightValues } from './exports.js';
import { TINY_ONNX, tinySamples } from './fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-weights-'));
after(releaseCurves);

test('--weights committed: the circuit holds no weights, the proof binds them through the input commitment', async () => {
  const calibration = tinySamples(16, 3);
  const x = tinySamples(1, 43)[0]!;
  const dir = join(scratch, 'committed');
  const report = await compileModel(TINY_ONNX, { out: dir, calibration, weights: 'committed', backend: 'circom' });
  const prover = await Prover.load(dir);
  const { model } = prover.compiled;
  const secret = weightValues(model);
  assert.ok(secret.steps.length >= 2, 'both dense layers are weighted steps');
  assert.equal(report.weights?.commitment, `0x${(await weightCommitment(secret)).toString(16).padStart(64, '0')}`);
  assert.equal(report.layout.publicSignals, report.layout.outputWords + 2, 'no extra public signal: the weights seed the input commitment');

  // The generated circuit carries zeros where the weights were (and the verifying key never saw them).
  const circuit = readFileSync(join(dir, 'circuit.circom'), 'utf8');
  for (const st of secret.steps) {
    const k = new RegExp(`var K${st.k}\\[\\d+\\] = \\[([^\\]]*)\\]`).exec(circuit)!;
    const c = new RegExp(`var C${st.k}\\[\\d+\\] = \\[([^\\]]*)\\]`).exec(circuit)!;
    assert.ok(k[1]!.split(',').every((v) => v === '0') && c[1]!.split(',').every((v) => v === '0'), `step ${st.k} leaks its weights`);
    assert.ok(st.coefficients.some((v) => v !== 0n), 'the model has non-zero weights to hide');
  }

  const file = await prover.prove({ input: x }, 5n);
  assert.equal(await verifyProofFile(dir, file), true);
  const u = quantizeInput(model, x);
  assert.deepEqual(file.outputIntegers.map(BigInt), inferQuantized(model, u));
  const seeded = await inputCommitment(report.layout, u, BigInt(report.weights!.commitment));
  assert.equal(BigInt(file.publicSignals[report.layout.outputWords]!), seeded);
  assert.notEqual(seeded, await inputCommitment(report.layout, u), 'the commitment depends on the weights');

  // A prover with other weights gets another commitment: the Coprocessor, which seeds the
  // request's commitment with the registered weight commitment, rejects its proof.
  const other = structuredClone(model);
  const step = other.steps[secret.steps[0]!.k]!;
  if (step.kind !== 'requant') throw new Error('unreachable');
  step.forms[0]!.k[0]! += 1n;
  const inputs = { ...prover.circuitInputs(u, 5n) } as Record<string, unknown>;
  const { weightSignals } = await import('../src/codegen/circom.js');
  Object.assign(inputs, weightSignals(other, true));
  const wtns = join(scratch, 'other.wtns');
  await snarkjs.wtns.calculate(inputs, join(dir, 'circuit_js', 'circuit.wasm'), wtns);
  const { proof, publicSignals } = await snarkjs.groth16.prove(join(dir, 'circuit.zkey'), wtns);
  assert.equal(await verifyProofFile(dir, { proof, publicSignals }), true, 'a valid proof of the other weights');
  assert.notEqual(BigInt(publicSignals[report.layout.outputWords]!), seeded, 'but under another commitment');
});

test('--weights committed with --input public is refused with the reason', async () => {
  await assert.rejects(compileModel(TINY_ONNX, { out: join(scratch, 'bad'), calibration: tinySamples(4), weights: 'committed', input: 'public', setup: false }), (e: unknown) => e instanceof IncompatibleOptionsError && /input committed/.test((e as Error).message));
});
