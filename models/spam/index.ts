import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { featurize } from './features.js';
import { modelFiles } from '../lib/files.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The spam classifier's files (written by `npm run train:spam -w models`). */
export const spamModel = modelFiles<{ id: string; spam: boolean; subject: string; body: string }>(here, 'spam', { labels: ['not spam', 'spam'] });

/** Path of the trained spam classifier. */
export const SPAM_MODEL_PATH = spamModel.path;

/** The vocabulary the model's 64 inputs stand for. */
export function spamVocabulary(): string[] {
  return JSON.parse(readFileSync(join(here, 'vocabulary.json'), 'utf8')) as string[];
}

/** Held-out metrics recorded when the model was trained. */
export const spamMetrics = spamModel.metrics;

/** The demo's two held-out e-mails (one spam, one ham) as samples.json holds them. */
export const spamSamples = spamModel.samples;

/** Model input for one message. */
export function spamFeatures(message: { subject: string; body: string }): number[] {
  return featurize(message, spamVocabulary());
}

export { featurize, tokenize, selectVocabulary } from './features.js';
export { loadSpamAssassin, parseEmail, type Email } from './dataset.js';
