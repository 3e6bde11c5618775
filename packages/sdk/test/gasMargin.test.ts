// One gas margin: the sdk's sends and every transaction the node sends pad an estimate with
// withGasMargin, and no source file pads one with a factor of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GAS_MARGIN, withGasMargin } from '@verity/sdk';

const root = join(import.meta.dirname, '..', '..', '..');

test('withGasMargin adds 30% of the estimate and 20,000 gas', () => {
  assert.deepEqual(GAS_MARGIN, { percent: 30n, extra: 20_000n });
  assert.equal(withGasMargin(0n), 20_000n);
  assert.equal(withGasMargin(100_000n), 150_000n);
  assert.equal(withGasMargin(1_000_000n), 1_320_000n);
});

test('withGasMargin covers every margin the node used before it (1.2x, 1.3x, 1.3x + 20,000)', () => {
  for (const estimate of [21_000n, 90_000n, 450_000n, 1_100_000n, 30_000_000n]) {
    for (const old of [(estimate * 12n) / 10n, (estimate * 13n) / 10n, (estimate * 13n) / 10n + 20_000n]) assert.ok(withGasMargin(estimate) >= old, `${estimate}`);
  }
});

/** Every TypeScript source file under packages/<name>/src (tests and generated code aside). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' || e.name === 'node_modules' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

test('no package source pads a gas estimate with its own factor', () => {
  const own = /\bgas\w*\s*\*\s*\d+n?\b|\(\s*gas\w*\s*\*/i;
  const offenders = readdirSync(join(root, 'packages')).flatMap((pkg) => {
    let files: string[] = [];
    try { files = sources(join(root, 'packages', pkg, 'src')); } catch { return []; }
    return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => ({ line, at: `${relative(root, f)}:${i + 1}` })).filter((l) => own.test(l.line)).map((l) => l.at));
  });
  assert.deepEqual(offenders, []);
});
