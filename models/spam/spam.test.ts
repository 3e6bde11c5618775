import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as ort from 'onnxruntime-web';
import { importGraph, inferQuantized, loadOnnx, quantize, quantizeInput, readSamplesFile } from '@verity/zkml';
import { loadSpamAssassin, parseEmail, SPAM_MODEL_PATH, spamFeatures, spamMetrics, spamVocabulary } from './index.js';

test('parseEmail keeps the subject and body and drops routing headers', () => {
  const m = parseEmail('From: a@b\nReceived: from x\nSubject: Win big\n\nClick here now');
  assert.deepEqual(m, { subject: 'Win big', body: 'Click here now' });
});

test('the held-out split is disjoint from training and about a fifth of the corpus', () => {
  const emails = loadSpamAssassin();
  const held = emails.filter((e) => e.heldOut).length;
  assert.equal(emails.length, 6046);
  assert.ok(held > 0.15 * emails.length && held < 0.25 * emails.length);
  assert.equal(new Set(emails.map((e) => e.id)).size, emails.length);
});

test('the committed model reproduces its recorded held-out accuracy, float and quantised', async () => {
  const metrics = spamMetrics() as { floatAccuracyHeldOut: number; quantizedAccuracyHeldOut: number; heldOut: number };
  const test = loadSpamAssassin().filter((e) => e.heldOut);
  assert.equal(test.length, metrics.heldOut);
  assert.equal(spamVocabulary().length, 64);
  const X = test.map((e) => spamFeatures(e));
  const bytes = readFileSync(SPAM_MODEL_PATH);
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(X.flat()), [X.length, 64]) });
  const logits = out[session.outputNames[0]!]!.data as Float32Array;
  const floatAcc = test.filter((e, i) => (logits[2 * i + 1]! > logits[2 * i]!) === e.spam).length / test.length;
  const calibration = readSamplesFile(readFileSync(SPAM_MODEL_PATH.replace('spam.onnx', 'calibration.json'), 'utf8'));
  const q = quantize(importGraph(loadOnnx(bytes)), { calibration });
  const quantAcc = test.filter((e, i) => { const o = inferQuantized(q, quantizeInput(q, X[i]!)); return (o[1]! > o[0]!) === e.spam; }).length / test.length;
  assert.equal(+floatAcc.toFixed(4), metrics.floatAccuracyHeldOut);
  assert.equal(+quantAcc.toFixed(4), metrics.quantizedAccuracyHeldOut);
  assert.ok(floatAcc > 0.9, `held-out accuracy ${floatAcc} is below 90%`);
});
