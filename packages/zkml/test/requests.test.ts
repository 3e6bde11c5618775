// The request-batch circuit (r1cs/requests.ts, `verity compile --requests K`): K requests'
// inputs in one proof, two slots' commitments a public signal. The honest witness satisfies every
// constraint with each slot's outputs, commitment and the batch binding as the public signals;
// a prover cannot swap two slots' inputs (so their outputs), change a slot's input under its
// commitment, or give an empty slot a real request's commitment; a proof verifies with snarkjs
// and fails once a slot's commitment, an output word or the binding changes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { compileModel, compileRequestBatch, importGraph, inputCommitment, layoutOf, loadOnnx, quantize, quantizeInput, releaseCurves, RequestBatchProver, RequestBatchSizeError, requestBatchDir, requestSlotOutputs, runProgram, weightCommitment, weightValues, IncompatibleOptionsError } from './exports.js';
import { TINY_ONNX, tinySamples } from './fixtures.js';
import { buildRequestConstraints, commitmentPair, computeRequestValues, requestBatchLayout } from '../src/r1cs/requests.js';
import { brokenConstraints, readers, unconstrainedLabels } from '../src/r1cs/check.js';
import { P } from '../src/r1cs/system.js';
import type { R1csWeights } from '../src/r1cs/circuit.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-requests-'));
after(releaseCurves);

async function tinyModel(weights: R1csWeights, model = quantize(importGraph(loadOnnx(TINY_ONNX)), { calibration: tinySamples(16, 3) })) {
  const seed = weights === 'committed' ? await weightCommitment(weightValues(model)) : 0n;
  const us = tinySamples(3, 11).map((x) => quantizeInput(model, x));
  const commitments = await Promise.all(us.map((u) => inputCommitment(layoutOf(model), u, seed)));
  return { model, us, commitments };
}

for (const weights of ['constant', 'committed'] as const) {
  test(`request batch, ${weights} weights: two requests and an empty slot; the honest witness holds, its public signals are each slot's outputs and commitment and the binding; every wire constrained and every single-wire change rejected`, async () => {
    const { model, us, commitments } = await tinyModel(weights);
    const k = 3;
    const layout = requestBatchLayout(model, k);
    const { system, eliminated, shape } = buildRequestConstraints(model, k, weights);
    const inputs = { us: [us[0]!, us[1]!, us[0]!], commitments: [commitments[0]!, commitments[1]!, 0n], binding: 999n };
    const { values } = computeRequestValues(model, k, inputs, weights);
    assert.equal(values.length, system.labels, 'both modes allocate the same labels');
    assert.deepEqual(brokenConstraints(system.constraints, values), [], 'the honest witness satisfies every constraint');
    const publics = values.slice(1, 1 + shape.publicOutputs + shape.publicInputs);
    assert.equal(publics.length, layout.publicSignals);
    const words = publics.slice(0, layout.outputWords);
    for (const i of [0, 1]) {
      const w = runProgram(model, us[i]!);
      assert.deepEqual(requestSlotOutputs(layout, words, i), model.outputs.map((id) => w[id]!), `slot ${i}'s outputs`);
    }
    assert.deepEqual(publics.slice(layout.outputWords, -1), [commitmentPair(commitments[0]!, commitments[1]!), 0n], 'two slots\' commitments a signal, 0 for the empty slot');
    assert.notEqual(commitmentPair(commitments[1]!, commitments[0]!), commitmentPair(commitments[0]!, commitments[1]!), 'a pair\'s two slots swapped give another signal');
    assert.equal(publics.at(-1), 999n, 'binding');
    assert.equal(layout.outputWords, Math.ceil((k * layoutOf(model).outputCount) / layoutOf(model).outputsPerWord), 'outputs packed across slots');
    assert.deepEqual(unconstrainedLabels(system.constraints, system.labels, eliminated), [], 'every wire is constrained');
    const by = readers(system.constraints, system.labels);
    const gone = new Set(eliminated);
    for (let l = 1; l < values.length; l++) {
      if (gone.has(l)) continue;
      const original = values[l]!;
      values[l] = (original + 1n) % P;
      assert.notDeepEqual(brokenConstraints(system.constraints, values, by[l]), [], `label ${l} changed by one`);
      values[l] = original;
    }
  });
}

test('request batch: swapped slot inputs, a tampered input under its commitment, or an empty slot given a real request\'s commitment break the circuit', async () => {
  const { model, us, commitments } = await tinyModel('constant');
  const k = 3;
  const { system } = buildRequestConstraints(model, k);
  const broken = (us_: bigint[][], cs: bigint[]) => brokenConstraints(system.constraints, computeRequestValues(model, k, { us: us_, commitments: cs, binding: 1n }).values).length;
  assert.equal(broken([us[0]!, us[1]!, us[2]!], commitments), 0, 'honest');
  assert.ok(broken([us[1]!, us[0]!, us[2]!], commitments) > 0, 'slots 0 and 1 swapped (their outputs with them)');
  const tampered = [...us[1]!];
  tampered[0] = tampered[0] === 0n ? 1n : tampered[0]! - 1n;
  assert.ok(broken([us[0]!, tampered, us[2]!], commitments) > 0, 'slot 1 input changed under its commitment');
  assert.ok(broken([us[0]!, us[1]!, us[0]!], [commitments[0]!, commitments[1]!, commitments[2]!]) > 0, 'an empty slot (another input) claiming request 2\'s commitment');
  assert.equal(broken([us[0]!, us[1]!, us[0]!], [commitments[0]!, commitments[1]!, 0n]), 0, 'an empty slot with commitment 0 holds any input');
});

test('request batch: compiled with its setup, a proof of two requests verifies with snarkjs and fails once a commitment, an output word or the binding changes; a batch of K + 1 or of none is refused', async () => {
  const dir = join(scratch, 'tiny-constant');
  await compileModel(TINY_ONNX, { out: dir, calibration: tinySamples(16, 3), backend: 'r1cs' });
  await assert.rejects(compileRequestBatch(dir, { k: 1 }), IncompatibleOptionsError);
  const report = await compileRequestBatch(dir, { k: 4 });
  assert.equal(report.layout.publicSignals, report.layout.outputWords + 2 + 1, 'output words, 2 signals of 2 commitments, the binding');
  const prover = await RequestBatchProver.load(dir, 4);
  try {
    const { us, commitments } = await tinyModel('constant', prover.compiled.model);
    const slots = [0, 1].map((i) => ({ u: us[i]!, commitment: commitments[i]! }));
    const p = await prover.prove(slots, 4242n);
    const vk = JSON.parse(readFileSync(join(requestBatchDir(dir, 4), 'verification_key.json'), 'utf8'));
    assert.equal(await snarkjs.groth16.verify(vk, p.publicSignals, p.proof), true);
    const w = p.outputs.map((_, i) => runProgram(prover.compiled.model, us[i]!));
    p.outputs.forEach((o, i) => assert.deepEqual(o, prover.compiled.model.outputs.map((id) => w[i]![id]!), `request ${i}'s outputs`));
    const W = report.layout.outputWords;
    assert.deepEqual(p.publicSignals.slice(W).map(BigInt), [commitmentPair(commitments[0]!, commitments[1]!), 0n, 4242n]);
    for (const at of [0, W, W + 1, W + 2]) {
      const changed = p.publicSignals.map((s, j) => (j === at ? String(BigInt(s) + 1n) : s));
      assert.equal(await snarkjs.groth16.verify(vk, changed, p.proof), false, `public signal ${at} changed`);
    }
    await assert.rejects(prover.prove([], 1n), RequestBatchSizeError);
    await assert.rejects(prover.prove(Array.from({ length: 5 }, () => slots[0]!), 1n), RequestBatchSizeError);
  } finally {
    await prover.close();
  }
});
