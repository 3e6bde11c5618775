// The whole test suite: build (contracts + generated ABIs), typecheck, forge tests, then
// every *.test.ts under packages/ and models/ with node's test runner. Exits non-zero on
// the first failing stage.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(label, cmd, args, cwd = root) {
  console.log(`\n=== ${label}`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [relative(root, p)] : [];
  });
}

run('build', process.execPath, [join(root, 'scripts', 'build.mjs')]);
run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
run('forge test', bin('forge'), ['test'], join(root, 'contracts'));
const files = [...testFiles(join(root, 'packages')), ...testFiles(join(root, 'models'))].sort();
run(`node tests (${files.length} files)`, process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files]);
