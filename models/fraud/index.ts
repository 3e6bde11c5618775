import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFiles } from '../lib/files.js';

/** The FraudScreen example's classifier (written by `npm run train -w models`). */
export const fraudModel = modelFiles<{ token: string; features: number[] }>(dirname(fileURLToPath(import.meta.url)), 'fraud');
export { simulateTokens, FRAUD_CLASSES, FRAUD_FEATURES } from './simulate.js';
