#!/usr/bin/env node
// Forge cannot download solc here; this shim lets it use the `solc` npm package.
// `--version` answers in solc's format; anything else reads standard JSON on stdin
// and writes the compiler's standard JSON output. Other flags (--allow-paths ...) are
// about the filesystem, which the import callback below handles itself.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const solc = require('solc');

if (process.argv.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

const basePath = (() => {
  const i = process.argv.indexOf('--base-path');
  return i >= 0 ? process.argv[i + 1] : process.cwd();
})();
const includePaths = process.argv.flatMap((a, i) => (a === '--include-path' ? [process.argv[i + 1]] : []));

function findImports(p) {
  for (const root of [basePath, ...includePaths, process.cwd()]) {
    const f = path.isAbsolute(p) ? p : path.join(root, p);
    if (fs.existsSync(f)) return { contents: fs.readFileSync(f, 'utf8') };
  }
  return { error: `File not found: ${p}` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
