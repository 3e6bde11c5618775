// --tolerance: the cheapest weight and activation widths within a tolerance on the calibration
// inputs. The choice must meet the tolerance (checked again here and by onnxruntime in
// compileModel), cost fewer constraints than the default widths, and stay a sound circuit.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildMlpOnnx, choosePrecision, compileModel, DEFAULT_PRECISION, importGraph, inferFloat, inferQuantized, dequantizeOutput, loadOnnx, quantize, quantizeInput, relativeError } from './exports.js';
import { IncompatibleOptionsError } from '../src/errors/compile.js';
import { ToleranceError } from '../src/errors/quantize.js';
import { programConstraints } from '../src/lower/steps.js';
import { checkModel } from './r1csCheck.js';
import { pseudoRandom } from './fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-precision-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A 24-32-16-4 ReLU MLP with seeded weights: wide enough that every bit of precision costs constraints. */
function mlp(): Uint8Array {
  const r = pseudoRandom(41);
  const layer = (out: number, inp: number, relu: boolean) => ({
    weights: Array.from({ length: out }, () => Array.from({ length: inp }, () => r() * Math.sqrt(6 / inp))),
    bias: Array.from({ length: out }, () => r() * 0.1),
    relu,
  });
  return buildMlpOnnx({ inputSize: 24, layers: [layer(32, 24, true), layer(16, 32, true), layer(4, 16, false)] });
}
const samples = (n: number, seed: number) => { const r = pseudoRandom(seed); return Array.from({ length: n }, () => Array.from({ length: 24 }, () => r())); };

const onnx = mlp();
const imported = importGraph(loadOnnx(onnx));
const calibration = samples(24, 5);
const reference = calibration.map((x) => inferFloat(imported, x));
const errorOf = (model: ReturnType<typeof quantize>, xs: number[][]) => relativeError(xs.map((x) => inferFloat(imported, x)), xs.map((x) => dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x)))));

test('relativeError: the largest error over the reference range, the largest magnitude for a constant reference', () => {
  assert.equal(relativeError([[0, 10]], [[1, 10]]), 0.1);
  assert.equal(relativeError([[4, 4]], [[5, 4]]), 0.25);
  assert.equal(relativeError([[0, 0]], [[0, 0]]), 0);
  assert.equal(relativeError([[0, 0]], [[1, 0]]), Infinity);
});

test('choosePrecision returns a trial within tolerance that costs fewer constraints than the default widths', () => {
  const base = quantize(imported, { calibration });
  const choice = choosePrecision(imported, { calibration }, reference, 0.01);
  assert.ok(choice.error <= 0.01, `calibration error ${choice.error}`);
  assert.equal(choice.error, errorOf(choice.model, calibration), 'the error reported is the chosen model\'s');
  assert.ok(choice.weightBits <= DEFAULT_PRECISION.weightBits && choice.activationBits <= DEFAULT_PRECISION.activationBits);
  assert.equal(choice.constraints, programConstraints(choice.model.steps));
  assert.ok(choice.constraints < programConstraints(base.steps), `${choice.constraints} against ${programConstraints(base.steps)} at the default widths`);
  // The cheapest trial that met the tolerance, and the trials include the default widths.
  const met = choice.trials.filter((t) => t.error <= 0.01);
  assert.equal(choice.constraints, Math.min(...met.map((t) => t.constraints)));
  assert.ok(choice.trials.some((t) => t.weightBits === 12 && t.activationBits === 16 && t.nodes === undefined));
  // The search reuses one float run over the calibration inputs: quantize with the chosen widths gives the same program.
  const again = quantize(imported, { calibration, weightBits: choice.weightBits, activationBits: choice.activationBits, ...(choice.nodes ? { nodes: choice.nodes } : {}) });
  assert.deepEqual(again.steps, choice.model.steps);
  assert.deepEqual(again.outputs, choice.model.outputs);
});

test('per-node widths: only the named node\'s requantisation changes, and the search gives each node its own', () => {
  const base = quantize(imported, { calibration });
  const names = [...new Set(base.steps.map((st) => st.name))];
  assert.deepEqual(names, ['Relu_0', 'Relu_1', 'Gemm_2']);
  const narrowed = quantize(imported, { calibration, nodes: { Relu_1: { weightBits: 6, activationBits: 8 } } });
  const bits = (m: typeof base, name: string) => m.steps.filter((st) => st.name === name).flatMap((st) => (st.kind === 'requant' ? st.bits : []));
  assert.deepEqual(bits(narrowed, 'Relu_0'), bits(base, 'Relu_0'));
  assert.ok(bits(narrowed, 'Relu_1').every((b, i) => b < bits(base, 'Relu_1')[i]!), 'Relu_1 narrower');
  assert.ok(bits(narrowed, 'Gemm_2').every((b, i) => b < bits(base, 'Gemm_2')[i]!), 'Gemm_2 reads narrower activations');
  const choice = choosePrecision(imported, { calibration }, reference, 0.01);
  assert.ok(choice.nodes && Object.keys(choice.nodes).length > 0, 'a width per node');
  assert.ok(choice.trials.some((t) => t.nodes !== undefined && Object.keys(t.nodes).length === 1), 'each node narrowed alone');
});

test('choosePrecision never goes wider than asked, and returns the widest widths with their error when even they miss the tolerance', () => {
  const capped = choosePrecision(imported, { calibration, weightBits: 9, activationBits: 10 }, reference, 0.02);
  assert.ok(capped.weightBits <= 9 && capped.activationBits <= 10);
  assert.ok(capped.trials.every((t) => t.weightBits <= 9 && t.activationBits <= 10));
  assert.ok(capped.trials.every((t) => Object.values(t.nodes ?? {}).every((w) => (w.weightBits ?? 0) <= 9 && (w.activationBits ?? 0) <= 10)));
  const strict = choosePrecision(imported, { calibration }, reference, 1e-9);
  assert.deepEqual([strict.weightBits, strict.activationBits, strict.trials.length], [12, 16, 1]);
  assert.ok(strict.error > 1e-9);
});

test('a tolerance that is not a fraction between 0 and 1 is a ToleranceError', () => {
  for (const t of [0, -0.01, 1, 5, Number.NaN]) {
    assert.throws(() => choosePrecision(imported, { calibration }, reference, t), (e: unknown) => e instanceof ToleranceError && Object.is(e.tolerance, t));
  }
});

test('the chosen widths compile to a sound circuit: the honest witness holds, every single-wire change breaks it', async () => {
  const choice = choosePrecision(imported, { calibration }, reference, 0.01);
  await checkModel(choice.model, samples(1, 77)[0]!, 'committed', true);
});

test('compileModel --tolerance: report.precision, fewer constraints, and onnxruntime agrees the error is within it', async () => {
  const plain = await compileModel(onnx, { out: join(scratch, 'plain'), calibration, setup: false });
  const tuned = await compileModel(onnx, { out: join(scratch, 'tuned'), calibration, setup: false, tolerance: 0.01 });
  assert.ok(tuned.precision, 'report.precision');
  assert.equal(tuned.precision.tolerance, 0.01);
  assert.ok(tuned.constraints < plain.constraints, `${tuned.constraints} against ${plain.constraints}`);
  assert.ok(tuned.accuracy!.maxAbsError <= 0.01 * tuned.accuracy!.outputRange, `onnxruntime: ${tuned.accuracy!.maxAbsError} over ${tuned.accuracy!.outputRange}`);
  assert.equal(plain.precision, undefined);
  // Held-out inputs: the tolerance is a calibration figure, but it should carry over to inputs like them.
  const { weightBits, activationBits, nodes } = tuned.precision;
  const model = quantize(imported, { calibration, weightBits, activationBits, ...(nodes ? { nodes } : {}) });
  assert.ok(errorOf(model, samples(64, 901)) <= 0.02, 'held-out error within twice the tolerance');
});

test('compileModel refuses --tolerance without calibration inputs, and a bad tolerance, before writing anything', async () => {
  const before = readdirSync(scratch).length;
  await assert.rejects(compileModel(onnx, { out: join(scratch, 'nocal'), setup: false, tolerance: 0.01 }), (e: unknown) => e instanceof IncompatibleOptionsError);
  await assert.rejects(compileModel(onnx, { out: join(scratch, 'bad'), calibration, setup: false, tolerance: 2 }), (e: unknown) => e instanceof ToleranceError);
  assert.equal(existsSync(join(scratch, 'nocal')) || existsSync(join(scratch, 'bad')), false);
  assert.equal(readdirSync(scratch).length, before, 'no temporary directory left behind');
});
