// Trains the SignalVault example's market-signal model on a simulated market (simulate.ts) and
// exports it to ONNX: the output predicts the mean return of the next 4 periods in units of
// 100 bp. Run: npm run train -w models
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportModel } from '../lib/export.js';
import { rng, trainMlp } from '../lib/train.js';
import { pricesFrom, simulateMarket, windows, WINDOW } from './simulate.js';

const rand = rng(11);
const train = windows(simulateMarket(20_000, rand).returns);
const test = windows(simulateMarket(4_000, rand).returns);
const params = trainMlp(train.map((w) => w.x), train.map((w) => [w.y]), { hidden: 16, outputs: 1, loss: 'mse', epochs: 15, rand, lr: 0.003 });

// Demo price paths: 9 prices (8 returns) drawn from a bull and from a bear stretch.
const path = (drift: number) => pricesFrom(Array.from({ length: WINDOW }, (_, i) => drift + 60 * Math.sin(i * 1.7)), 2_000_00);
const meanTarget = train.reduce((s, w) => s + w.y, 0) / train.length;
const metrics = await exportModel({
  dir: dirname(fileURLToPath(import.meta.url)),
  name: 'signal',
  params,
  dataset: 'models/signal/simulate.ts (seed 11): regime-switching AR(1) returns, 20000 training and 4000 held-out periods',
  architecture: `MLP ${WINDOW}-16-1 (ReLU): last ${WINDOW} returns -> mean return of the next 4 periods (100 bp units)`,
  calibration: [new Array(WINDOW).fill(1), new Array(WINDOW).fill(-1), ...train.filter((_, i) => i % 200 === 0).map((w) => w.x)],
  heldOut: { X: test.map((w) => w.x), Y: test.map((w) => [w.y]) },
  kind: 'regressor',
  samples: [
    { market: 'a rally', prices: path(120) },
    { market: 'a sell-off', prices: path(-120) },
  ],
  extra: { baselineMaeHeldOut: +(test.reduce((s, w) => s + Math.abs(w.y - meanTarget), 0) / test.length).toFixed(4) },
});
console.log(metrics);
