// Every workspace package's `exports` and `bin` name files that exist, and the benchmarks reach
// the packages only through those exports: no bench imports a package's src/ internals or a test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

/** The workspace packages' directories (packages/*, models). */
function workspaces(): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  return workspaces.flatMap((w) => (w.endsWith('/*') ? readdirSync(join(root, w.slice(0, -2))).map((d) => join(root, w.slice(0, -2), d)) : [join(root, w)]))
    .filter((d) => existsSync(join(d, 'package.json')));
}

/** Every file path an `exports` field names (strings, subpaths and conditions, nested). */
function targets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports && typeof exports === 'object') return Object.values(exports).flatMap(targets);
  return [];
}

test('every package.json exports and bin target exists', () => {
  const checked: string[] = [];
  const missing: string[] = [];
  for (const dir of workspaces()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; exports?: unknown; bin?: string | Record<string, string> };
    const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
    for (const t of [...targets(pkg.exports), ...bins]) {
      checked.push(`${pkg.name} ${t}`);
      if (!existsSync(resolve(dir, t))) missing.push(`${pkg.name}: ${t}`);
    }
  }
  assert.ok(checked.some((c) => c === '@verity/cli ./src/index.ts'), 'the cli package exports its index');
  assert.ok(checked.some((c) => c === '@verity/cli ./bin/verity.mjs'), 'the cli package\'s bin is checked');
  assert.deepEqual(missing, []);
});

test('benchmarks import packages through their exports, never src/ internals or test files', () => {
  const benches = [
    ...readdirSync(join(root, 'scripts')).filter((f) => /^bench.*\.ts$/.test(f)).map((f) => join(root, 'scripts', f)),
    ...readdirSync(join(root, 'scripts', 'bench')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'scripts', 'bench', f)),
  ];
  assert.ok(benches.length >= 10, `found the benchmarks (${benches.length})`);
  const offenders: string[] = [];
  for (const file of benches) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g)) {
      if (!spec!.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec!));
      const internal = /^packages\/[^/]+\/(src|test)\//.test(target) || /\.test\.(ts|js)$/.test(target) || /(^|\/)test\//.test(target);
      if (internal) offenders.push(`${relative(root, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});
