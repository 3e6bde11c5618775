// The whole test suite: Debian packages the tests need (redis-server, chromium), build (contracts +
// generated ABIs), typecheck, forge tests, then every *.test.ts under packages/ and models/
// with node's test runner. Exits non-zero on the first failing stage.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foundryBinary } from './foundry.mjs';

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

/**
 * Debian packages the tests start themselves: redis-server (the proving queue's tests) and
 * chromium (the explorer's end-to-end test, driven by playwright-core). Installed with apt-get
 * when missing (as root, or through sudo).
 */
function ensureDebianPackages() {
  const missing = [['redis-server', '/usr/bin/redis-server'], ['chromium', '/usr/bin/chromium']].filter(([, path]) => !existsSync(path)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const [cmd, ...pre] = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  const apt = (...args) => spawnSync(cmd, [...pre, ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  console.log(`\n=== Debian packages: installing ${missing.join(', ')}`);
  if (apt('install', '-y', '--no-install-recommends', ...missing)) return;
  if (apt('update') && apt('install', '-y', '--no-install-recommends', ...missing)) return;
  console.error(`could not install ${missing.join(', ')} with apt-get; install ${missing.length > 1 ? 'them' : 'it'} and run npm test again`);
  process.exit(1);
}

ensureDebianPackages();
run('build', process.execPath, [join(root, 'scripts', 'build.mjs')]);
run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
run('forge test', foundryBinary(root, 'forge'), ['test'], join(root, 'contracts'));
// The native prover's own tests (against snarkjs's vectors), when cargo built it at install;
// --release shares the dependencies npm install compiled.
const crate = join(root, 'native', 'verity-prover');
if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0) {
  run('cargo test (native prover)', 'cargo', ['test', '--release', '--quiet', '--manifest-path', join(crate, 'Cargo.toml'), '--target-dir', join(crate, 'target')]);
}
const files = [...testFiles(join(root, 'packages')), ...testFiles(join(root, 'models'))].sort();
// test-exit.mjs: a file whose tests are done exits even if a handle is still open (the runner
// would wait for it forever), naming the handle. --test-timeout: a test that never settles
// fails with its name after 20 minutes.
run(`node tests (${files.length} files)`, process.execPath, ['--import', 'tsx', '--import', join(root, 'scripts', 'test-exit.mjs'), '--test', '--test-concurrency=1', '--test-timeout=1200000', ...files]);
