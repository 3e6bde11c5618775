// The example apps' models: each committed ONNX file behaves as its app relies on, float and
// quantised alike, on the demo samples and on fresh simulated data.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dequantizeOutput, importGraph, inferFloat, inferQuantized, loadOnnx, quantize, quantizeInput, readSamplesFile } from '@verity/zkml';
import { creditFeatures, creditModel, simulateBorrowers } from '../credit/index.js';
import { signalFeatures, signalModel } from '../signal/index.js';
import { FRAUD_CLASSES, fraudModel, simulateTokens } from '../fraud/index.js';
import { rng } from './train.js';

function load(files: { path: string; calibration: string }) {
  const graph = importGraph(loadOnnx(readFileSync(files.path)));
  const q = quantize(graph, { calibration: readSamplesFile(readFileSync(files.calibration, 'utf8')) });
  return {
    float: (x: number[]) => inferFloat(graph, x),
    quant: (x: number[]) => dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x))),
  };
}
const argmax = (v: number[]) => v.indexOf(Math.max(...v));

test('credit: the score rises with repayments, falls with liquidations, and tracks true reliability', () => {
  const m = load(creditModel);
  const [fresh, seasoned, liquidated] = creditModel.samples().map((s) => m.quant(creditFeatures(s.record))[0]!);
  assert.ok(seasoned! > fresh! + 0.05, `seasoned ${seasoned} vs new ${fresh}`);
  assert.ok(liquidated! < seasoned! - 0.1, `liquidated ${liquidated} vs seasoned ${seasoned}`);
  // Fresh borrowers: the model's mean absolute error against the true probability beats the
  // constant guess of the population mean.
  const borrowers = simulateBorrowers(500, rng(99));
  const mean = borrowers.reduce((s, b) => s + b.reliability, 0) / borrowers.length;
  const err = borrowers.reduce((s, b) => s + Math.abs(m.quant(creditFeatures(b.record))[0]! - b.reliability), 0) / borrowers.length;
  const base = borrowers.reduce((s, b) => s + Math.abs(mean - b.reliability), 0) / borrowers.length;
  assert.ok(err < base * 0.9, `model error ${err} vs constant ${base}`);
  assert.equal(Number(creditModel.metrics().quantizedMaeHeldOut) < 0.15, true);
});

test('signal: a rally gives a positive signal and a sell-off a negative one, float and quantised agree', () => {
  const m = load(signalModel);
  const [rally, selloff] = signalModel.samples().map((s) => signalFeatures(s.prices));
  for (const f of [m.float, m.quant]) {
    assert.ok(f(rally!)[0]! > 0.1, `rally signal ${f(rally!)[0]}`);
    assert.ok(f(selloff!)[0]! < -0.1, `sell-off signal ${f(selloff!)[0]}`);
  }
  const metrics = signalModel.metrics();
  assert.ok(Number(metrics.quantizedMaeHeldOut) < Number(metrics.baselineMaeHeldOut), 'the model beats predicting the mean');
});

test('fraud: the demo tokens get their classes, and held-out accuracy is above 90%', () => {
  const m = load(fraudModel);
  const expected = ['wash-trading', 'rug-pull', 'clean'];
  fraudModel.samples().forEach((s, i) => assert.equal(FRAUD_CLASSES[argmax(m.quant(s.features))], expected[i], s.token));
  const tokens = simulateTokens(600, rng(5));
  const correct = tokens.filter((t) => argmax(m.quant(t.features)) === t.label).length;
  assert.ok(correct / tokens.length > 0.9, `accuracy ${correct / tokens.length}`);
});

test('signalFeatures: returns in basis points, truncated toward zero, clipped to 1000 bp', () => {
  assert.deepEqual(signalFeatures([100, 101, 99, 200, 100, 100, 100, 100, 100]), [0.1, -0.198, 1, -1, 0, 0, 0, 0]);
  assert.throws(() => signalFeatures([1, 2]), /9 prices/);
});
