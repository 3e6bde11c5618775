#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx compiles it on the fly; no build step).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// npm install generates the ABIs (postinstall: scripts/build.mjs); an install that skipped
// scripts (--ignore-scripts) builds them here, once, on first use.
const generated = fileURLToPath(new URL('../../sdk/src/generated/contracts.ts', import.meta.url));
if (!existsSync(generated)) {
  process.stderr.write('verity: first run after an install without scripts: building the contracts and ABIs (scripts/build.mjs)\n');
  const build = spawnSync(process.execPath, [fileURLToPath(new URL('../../../scripts/build.mjs', import.meta.url))], { stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write('error: BuildError: scripts/build.mjs failed (output above); run npm install again\n');
    process.exit(2);
  }
}
register();
await import('../src/bin.ts');
