// The README lists every `<--` hint the generated circuits can contain and how each is
// constrained. This test finds them from the sources (the code generator, Verity's templates
// and the circomlib templates they reach) so the list cannot go stale.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const zkml = join(root, 'packages', 'zkml');
const circomlib = join(dirname(createRequire(import.meta.url).resolve('circomlib/package.json')), 'circuits');

/** Every template's body in a circom source, by name. */
function templates(source: string): Map<string, string> {
  const out = new Map<string, string>();
  const starts = [...source.matchAll(/^template\s+(\w+)\s*\(/gm)];
  starts.forEach((m, i) => out.set(m[1]!, source.slice(m.index, starts[i + 1]?.index ?? source.length)));
  return out;
}

/** The templates a piece of circom (or of the TypeScript that writes circom) instantiates, among `known`. */
const instantiated = (code: string, known: ReadonlyMap<string, string>) => [...known.keys()].filter((name) => new RegExp(`\\b${name}\\s*\\(`).test(code));

test('the generated circuits hold `<--` hints in exactly the templates the README lists', () => {
  const generator = readFileSync(join(zkml, 'src', 'codegen', 'circom.ts'), 'utf8');
  const ours = readFileSync(join(zkml, 'circuits', 'verity.circom'), 'utf8');
  assert.doesNotMatch(generator, /<--/, 'the code generator writes no hint of its own');
  // Every circomlib file verity.circom includes, and the files those include.
  const library = new Map<string, string>();
  const pending = [...ours.matchAll(/include "circomlib\/circuits\/([\w.]+)"/g)].map((m) => m[1]!);
  for (const seen = new Set<string>(); pending.length > 0;) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(join(circomlib, file), 'utf8');
    for (const [name, body] of templates(source)) library.set(name, body);
    pending.push(...[...source.matchAll(/include "(?:\.\/)?([\w.]+)"/g)].map((m) => m[1]!));
  }
  const all = new Map([...library, ...templates(ours)]);
  // Templates reachable from what the generator instantiates (and verity.circom's own templates use).
  const reached = new Set<string>();
  const queue = instantiated(generator, all);
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    queue.push(...instantiated(all.get(name)!.replace(/^template\s+\w+/, ''), all));
  }
  const hints = [...reached].flatMap((name) => [...all.get(name)!.matchAll(/^\s*(\w+)(?:\[\w+\])?\s*<--/gm)].map((m) => `${name}.${m[1]}`)).sort();
  assert.deepEqual(hints, ['ArgMax.sel', 'Decoder.out', 'DivFloor.q', 'DivFloor.r', 'IsZeroOut.inv', 'Num2Bits.out', 'RSqrt.out']);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const sentence = readme.slice(readme.indexOf('Every value the prover chooses is constrained'), readme.indexOf('**Trusted setup.**'));
  for (const template of new Set(hints.map((h) => h.split('.')[0]!))) assert.ok(sentence.includes(`\`${template}\``), `the README's list names ${template}`);
  assert.match(sentence, /exactly six templates/);
});
