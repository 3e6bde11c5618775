// The model owner's scikit-learn path (issue 17 item 7): tools/sklearn/export.py trains small
// models on datasets shipped with scikit-learn (fixed seeds), exports them with skl2onnx and runs
// onnxruntime on the held-out rows; each model is compiled, proved and verified here, and its
// outputs compared with onnxruntime's. The Python environment comes from
// tools/sklearn/requirements.txt, made once under the Verity cache directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileModel, dequantizeOutput, inferQuantized, Prover, pythonEnv, quantizeInput, releaseCurves, UnknownOutputError, verifyProofFile, ZipMapError } from './exports.js';

const tools = join(import.meta.dirname, '..', '..', '..', 'tools', 'sklearn');
const scratch = mkdtempSync(join(tmpdir(), 'verity-sklearn-'));
after(async () => { await releaseCurves(); rmSync(scratch, { recursive: true, force: true }); });

const env = pythonEnv('sklearn', { requirements: join(tools, 'requirements.txt') });
const skip = 'unavailable' in env ? `no Python environment for skl2onnx: ${env.unavailable}` : undefined;
if (skip) console.log(`# sklearn tests skipped: ${skip}`);

type Exported = { bytes: Uint8Array; calibration: number[][]; inputs: number[][]; outputs: Record<string, number[][]> };

let exportedRoot: string | undefined;
/** Every example exported once (one Python process), then read per model. */
function exported(name: string): Exported {
  if (!exportedRoot) {
    const root = join(scratch, 'exports');
    const r = spawnSync((env as { python: string }).python, [join(tools, 'export.py'), 'examples', root], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    exportedRoot = root;
  }
  const dir = join(exportedRoot, name);
  const test = JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8'));
  return { bytes: readFileSync(join(dir, 'model.onnx')), calibration: JSON.parse(readFileSync(join(dir, 'calibration.json'), 'utf8')), ...test };
}

/**
 * A model, the output proved, and what it must meet against onnxruntime on the held-out rows:
 * labels agree on at least `agreement` of them; values within `tolerance` of the output range.
 */
type Case = { name: string; output: string; inputBits?: 8 | 16; agreement: number; tolerance: number };
const CASES: Case[] = [
  { name: 'linear-regression', output: 'variable', inputBits: 16, agreement: 0, tolerance: 0.01 },
  { name: 'logistic-regression', output: 'label', agreement: 1, tolerance: 0 },
  { name: 'logistic-regression', output: 'probabilities', agreement: 0.95, tolerance: 0.03 },
  { name: 'logistic-regression-binary', output: 'label', agreement: 1, tolerance: 0 },
  { name: 'logistic-regression-binary', output: 'probabilities', inputBits: 16, agreement: 0.95, tolerance: 0.03 },
  { name: 'mlp-classifier', output: 'label', agreement: 1, tolerance: 0 },
  { name: 'mlp-classifier', output: 'probabilities', agreement: 0.95, tolerance: 0.05 },
  { name: 'random-forest-classifier', output: 'label', agreement: 1, tolerance: 0 },
  { name: 'random-forest-classifier', output: 'probabilities', agreement: 0.95, tolerance: 0.01 },
  { name: 'random-forest-regressor', output: 'variable', agreement: 0, tolerance: 0.01 },
  { name: 'gradient-boosting-classifier', output: 'label', agreement: 1, tolerance: 0 },
  { name: 'gradient-boosting-classifier', output: 'probabilities', agreement: 0.95, tolerance: 0.01 },
  { name: 'gradient-boosting-classifier-binary', output: 'label', agreement: 1, tolerance: 0 },
  { name: 'gradient-boosting-classifier-binary', output: 'probabilities', inputBits: 16, agreement: 0.95, tolerance: 0.01 },
  { name: 'gradient-boosting-regressor', output: 'variable', agreement: 0, tolerance: 0.01 },
];

const argmax = (xs: readonly number[]) => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);
/** The class a row of an output says: the label itself, or the most probable class. */
const classOf = (output: string, row: readonly number[]) => (output === 'label' ? row[0]! : argmax(row));

const table: string[] = [];
after(() => { if (table.length > 0) console.log(`# model | output | constraints | prove s | max abs diff vs onnxruntime | label agreement\n${table.join('\n')}`); });

for (const c of CASES) {
  test(`scikit-learn ${c.name} (${c.output}): compiles, proves, verifies and matches onnxruntime`, { skip }, async () => {
    const m = exported(c.name);
    const dir = join(scratch, `${c.name}-${c.output}`);
    const report = await compileModel(m.bytes, { out: dir, calibration: m.calibration, output: c.output, inputBits: c.inputBits });
    const want = m.outputs[c.output]!;
    const labels = m.outputs.label;
    const range = Math.max(...want.flat()) - Math.min(...want.flat());
    const prover = await Prover.load(dir);
    const model = prover.compiled.model;

    // Every held-out row through the quantised program the circuit proves.
    let maxAbs = 0, agree = 0;
    m.inputs.forEach((x, i) => {
      const got = dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x)));
      got.forEach((v, j) => { maxAbs = Math.max(maxAbs, Math.abs(v - want[i]![j]!)); });
      if (labels && classOf(c.output, got) === labels[i]![0]) agree++;
    });
    if (labels) assert.ok(agree / m.inputs.length >= c.agreement, `labels agree on ${agree} of ${m.inputs.length}`);
    assert.ok(maxAbs <= c.tolerance * range, `max abs difference ${maxAbs} above ${c.tolerance} of the output range ${range}`);

    // One proof, on the first held-out row: it verifies and says what onnxruntime says.
    const file = await prover.prove({ input: m.inputs[0]! }, 7n);
    assert.equal(await verifyProofFile(dir, file), true);
    file.outputs.forEach((v, j) => assert.ok(Math.abs(v - want[0]![j]!) <= c.tolerance * range, `proved output ${j}: ${v}, onnxruntime ${want[0]![j]}`));
    table.push(`${c.name} | ${c.output} | ${report.constraints} | ${((file.timings?.proveMs ?? 0) / 1000).toFixed(2)} | ${maxAbs.toPrecision(3)} (range ${range.toPrecision(3)}) | ${labels ? `${agree}/${m.inputs.length}` : '-'}`);
  });
}

test('a classifier exported with ZipMap: its label compiles, its probabilities are refused with ZipMapError', { skip }, async () => {
  const m = exported('logistic-regression-zipmap');
  const report = await compileModel(m.bytes, { out: join(scratch, 'zipmap-label'), calibration: m.calibration, setup: false });
  assert.deepEqual(report.outputShape, [1]);
  await assert.rejects(compileModel(m.bytes, { out: join(scratch, 'zipmap-probabilities'), calibration: m.calibration, output: 'output_probability', setup: false }), ZipMapError);
  await assert.rejects(compileModel(m.bytes, { out: join(scratch, 'zipmap-none'), output: 'scores', setup: false }), (e: unknown) => e instanceof UnknownOutputError && e.outputs.join() === 'output_label,output_probability');
});
