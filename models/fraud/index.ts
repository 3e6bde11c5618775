import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFiles } from '../lib/files.js';
import { FRAUD_CLASSES } from './simulate.js';

/** The FraudScreen example's classifier (written by `npm run train -w models`). */
export const fraudModel = modelFiles<{ token: string; features: number[] }>(dirname(fileURLToPath(import.meta.url)), 'fraud', {
  labels: FRAUD_CLASSES.map((c) => c.replace('-', ' ')),
});
export { simulateTokens, FRAUD_CLASSES, FRAUD_FEATURES } from './simulate.js';
