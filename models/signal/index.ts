import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFiles } from '../lib/files.js';

/** The SignalVault example's market-signal model (written by `npm run train -w models`). */
export const signalModel = modelFiles<{ market: string; prices: number[] }>(dirname(fileURLToPath(import.meta.url)), 'signal', { name: 'signal', multiplier: 100, unit: 'bp', digits: 0 });
export { signalFeatures, simulateMarket, pricesFrom, WINDOW, RETURN_CAP_BP, SIGNAL_UNIT_BP } from './simulate.js';
