// Trains the CreditLine example's score model on simulated borrower records (simulate.ts) and
// exports it to ONNX: the output estimates the probability that the borrower repays the next
// loan. Run: npm run train -w models
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportModel } from '../lib/export.js';
import { rng, trainMlp } from '../lib/train.js';
import { creditFeatures, simulateBorrowers } from './simulate.js';

const rand = rng(7);
const train = simulateBorrowers(6000, rand);
const test = simulateBorrowers(1500, rand);
const X = train.map((b) => creditFeatures(b.record));
const params = trainMlp(X, train.map((b) => [b.repaysNext ? 1 : 0]), { hidden: 8, outputs: 1, loss: 'mse', epochs: 40, rand, lr: 0.005 });

const metrics = await exportModel({
  dir: dirname(fileURLToPath(import.meta.url)),
  name: 'credit',
  params,
  dataset: 'models/credit/simulate.ts (seed 7): 6000 training and 1500 held-out simulated borrowers',
  architecture: 'MLP 4-8-1 (ReLU): repaid loans, volume repaid, age, liquidations -> repayment probability',
  // Every cap reached and every field at zero, so the input scale covers the whole [0, 1].
  calibration: [[1, 1, 1, 1], [0, 0, 0, 0], ...X.filter((_, i) => i % 100 === 0)],
  // Judged against the simulated borrowers' true repayment probability.
  heldOut: { X: test.map((b) => creditFeatures(b.record)), Y: test.map((b) => [b.reliability]) },
  kind: 'regressor',
  samples: [
    { who: 'a new borrower', record: { repaid: 0, volumeEth: 0, ageDays: 0, liquidations: 0 } },
    { who: 'a seasoned borrower', record: { repaid: 12, volumeEth: 4, ageDays: 200, liquidations: 0 } },
    { who: 'a borrower liquidated twice', record: { repaid: 3, volumeEth: 0.5, ageDays: 60, liquidations: 2 } },
  ],
});
console.log(metrics);
