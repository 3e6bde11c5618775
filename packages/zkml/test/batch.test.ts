import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { BatchDimensionError, bigintReviver, buildOnnx, compileModel, importGraph, inferFloat, loadOnnx, quantizeInput, releaseCurves, runProgram, unpackOutputs, type CompileReport, type QuantizedModel } from './exports.js';
import { TINY_ONNX, tinySamples } from './fixtures.js';
import { wtnsValues } from './wtns.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-batch-'));
after(releaseCurves);

async function witnessOutputs(dir: string, u: bigint[]): Promise<bigint[]> {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CompileReport;
  const file = join(dir, 'w.wtns');
  await snarkjs.wtns.calculate({ u: u.map(String), binding: '1' }, join(dir, 'circuit_js', 'circuit.wasm'), file);
  const w = wtnsValues(file);
  return unpackOutputs(report.layout, Array.from({ length: report.layout.outputWords }, (_, i) => w.get(1 + i)));
}

test('--batch 4 proves four inferences in one circuit; --aggregate mean outputs their mean', async () => {
  const single = importGraph(loadOnnx(TINY_ONNX));
  const items = tinySamples(4, 77);
  const calibration = tinySamples(32, 3);
  for (const aggregate of [undefined, 'mean'] as const) {
    const dir = join(scratch, aggregate ?? 'all');
    const report = await compileModel(TINY_ONNX, { out: dir, calibration, batch: 4, aggregate, setup: false, backend: 'circom' });
    assert.deepEqual(report.inputShape, [4, 8]);
    assert.deepEqual(report.outputShape, aggregate ? [3] : [4, 3]);
    assert.deepEqual(report.batch, { size: 4, aggregate: aggregate ?? 'none' });
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'), bigintReviver) as QuantizedModel;
    const u = quantizeInput(model, items.flat());
    const got = await witnessOutputs(dir, u);
    const w = runProgram(model, u);
    assert.deepEqual(got, model.outputs.map((id) => w[id]!));
    const floats = items.map((x) => inferFloat(single, x));
    const want = aggregate ? floats[0]!.map((_, j) => floats.reduce((s, f) => s + f[j]!, 0) / 4) : floats.flat();
    const range = Math.max(...floats.flat()) - Math.min(...floats.flat());
    got.forEach((v, j) => assert.ok(Math.abs(Number(v) / 2 ** model.outputScale - want[j]!) <= 0.01 * range, `output ${j}`));
    assert.ok(report.accuracy!.maxAbsError <= 0.01 * report.accuracy!.outputRange, 'report: calibration error within 1% of the output range');
  }
});

test('a batch on a model with a fixed batch dimension is a typed error', () => {
  const fixed = buildOnnx({ input: { name: 'x', shape: [1, 2] }, output: { name: 'y' }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  assert.throws(() => loadOnnx(fixed, { batch: 4 }), (e: unknown) => e instanceof BatchDimensionError && /dynamic batch axis/.test(e.details ?? ''));
});
