/** Lower-case word tokens of 2 to 20 letters. */
export function tokenize(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[a-z][a-z']{1,19}/g) ?? []);
}

/**
 * The model input for a message: 1 where a vocabulary word occurs in the subject or body,
 * 0 where it does not.
 *
 * @example
 * featurize({ subject: 'Cheap meds', body: 'click here' }, vocabulary) // [0, 1, 0, ...]
 */
export function featurize(message: { subject: string; body: string }, vocabulary: readonly string[]): number[] {
  const words = tokenize(`${message.subject} ${message.body}`);
  return vocabulary.map((w) => (words.has(w) ? 1 : 0));
}

/**
 * Picks the `size` words with the highest information gain about the label, among words
 * in at least `minCount` training messages.
 */
export function selectVocabulary(docs: { words: Set<string>; spam: boolean }[], size: number, minCount = 20): string[] {
  const counts = new Map<string, [number, number]>();
  for (const d of docs) for (const w of d.words) {
    const c = counts.get(w) ?? [0, 0];
    c[d.spam ? 1 : 0]++;
    counts.set(w, c);
  }
  const n = docs.length;
  const nSpam = docs.filter((d) => d.spam).length;
  const h = (p: number) => (p <= 0 || p >= 1 ? 0 : -p * Math.log2(p) - (1 - p) * Math.log2(1 - p));
  const base = h(nSpam / n);
  const gain = ([ham, spam]: [number, number]) => {
    const present = ham + spam;
    const absent = n - present;
    return base - (present / n) * h(spam / present) - (absent / n) * h((nSpam - spam) / Math.max(absent, 1));
  };
  return [...counts.entries()]
    .filter(([, c]) => c[0] + c[1] >= minCount)
    .map(([w, c]) => [w, gain(c)] as const)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size)
    .map(([w]) => w);
}
