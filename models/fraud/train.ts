// Trains the FraudScreen example's classifier on simulated token trading patterns
// (simulate.ts) and exports it to ONNX: three logits, clean / wash-trading / rug-pull.
// Run: npm run train -w models
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportModel } from '../lib/export.js';
import { rng, trainMlp } from '../lib/train.js';
import { FRAUD_CLASSES, simulateTokens } from './simulate.js';

const rand = rng(23);
const train = simulateTokens(6000, rand);
const test = simulateTokens(1500, rand);
const params = trainMlp(train.map((t) => t.features), train.map((t) => t.label), { hidden: 16, outputs: 3, loss: 'softmax', epochs: 30, rand });

const metrics = await exportModel({
  dir: dirname(fileURLToPath(import.meta.url)),
  name: 'fraud',
  params,
  dataset: 'models/fraud/simulate.ts (seed 23): 6000 training and 1500 held-out simulated tokens',
  architecture: `MLP 6-16-3 (ReLU): trade features -> ${FRAUD_CLASSES.join(' / ')}`,
  calibration: [new Array(6).fill(1), new Array(6).fill(0), ...train.filter((_, i) => i % 100 === 0).map((t) => t.features)],
  heldOut: { X: test.map((t) => t.features), Y: test.map((t) => t.label) },
  kind: 'classifier',
  samples: [
    { token: 'VOLT, a wash-traded token', features: [0.62, 0.71, 0.4, 0.05, 0.66, 0.5] },
    { token: 'MOON, a rug pull in progress', features: [0.3, 0.1, 0.88, 0.8, 0.1, 0.05] },
    { token: 'DAI-like, clean', features: [0.08, 0.03, 0.3, 0.02, 0.04, 0.9] },
  ],
});
console.log(metrics);
