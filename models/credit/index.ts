import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFiles } from '../lib/files.js';
import type { CreditRecord } from './simulate.js';

/** The CreditLine example's score model (written by `npm run train -w models`). */
export const creditModel = modelFiles<{ who: string; record: CreditRecord }>(dirname(fileURLToPath(import.meta.url)), 'credit', { name: 'score', digits: 3 });
export { creditFeatures, simulateBorrowers, CREDIT_CAPS, type CreditRecord } from './simulate.js';
