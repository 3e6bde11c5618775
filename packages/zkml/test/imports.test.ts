// The design's one-way flow: zkml compiles and proves, the sdk talks to the chain. zkml never
// imports the sdk (or any package above it), so the compiler does not load the chain client.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const pkg = join(import.meta.dirname, '..');
const ABOVE = ['@verity/sdk', '@verity/node', '@verity/cli', '@verity/explorer'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : []);
}

/** The module specifiers a file imports or re-exports, statically or with import(). */
function importedModules(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g)].map((m) => m[2]!);
}

test('importedModules finds static, side-effect, re-export and dynamic imports', () => {
  const text = "import { a } from '@verity/sdk';\nimport '@verity/sdk/errors';\nexport * from \"./x.js\";\nconst m = await import('@verity/node');\nimport type { T } from '../y.js';";
  assert.deepEqual(importedModules(text), ['@verity/sdk', '@verity/sdk/errors', './x.js', '@verity/node', '../y.js']);
});

test('no zkml source or test imports @verity/sdk (or node, cli, explorer), and package.json does not depend on them', () => {
  // This file names the packages in its own strings: it is the one source left out.
  const offending = sources(pkg).filter((file) => file !== import.meta.filename).flatMap((file) => importedModules(readFileSync(file, 'utf8'))
    .filter((m) => ABOVE.some((p) => m === p || m.startsWith(`${p}/`)))
    .map((m) => `${relative(pkg, file)} imports ${m}`));
  assert.deepEqual(offending, []);
  const { dependencies = {}, devDependencies = {} } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys({ ...dependencies, ...devDependencies }).filter((d) => ABOVE.includes(d)), []);
});
