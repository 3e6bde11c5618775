import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { featurize } from './features.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Path of the trained spam classifier (written by `npm run train:spam -w models`). */
export const SPAM_MODEL_PATH = join(here, 'spam.onnx');

/** The vocabulary the model's 64 inputs stand for. */
export function spamVocabulary(): string[] {
  return JSON.parse(readFileSync(join(here, 'vocabulary.json'), 'utf8')) as string[];
}

/** Held-out metrics recorded when the model was trained. */
export function spamMetrics(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(here, 'metrics.json'), 'utf8')) as Record<string, unknown>;
}

/** The demo's two held-out e-mails (one spam, one ham) as samples.json holds them. */
export function spamSamples(): { id: string; spam: boolean; subject: string; body: string }[] {
  return JSON.parse(readFileSync(join(here, 'samples.json'), 'utf8')) as { id: string; spam: boolean; subject: string; body: string }[];
}

/** Model input for one message. */
export function spamFeatures(message: { subject: string; body: string }): number[] {
  return featurize(message, spamVocabulary());
}

export { featurize, tokenize, selectVocabulary } from './features.js';
export { loadSpamAssassin, parseEmail, type Email } from './dataset.js';
