// `verity doctor` as a user runs it, under the environments that change its answer: the
// backend and why, threads, the cache and its size, the toolchains; exit 1 only on a problem.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { NATIVE_ERRORS, nativeProverBuilt } from '@verity/zkml';
import type { DoctorReport } from '../src/doctor.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'verity.mjs');
const dir = mkdtempSync(join(tmpdir(), 'verity-doctor-'));
const cache = join(dir, 'cache');
mkdirSync(join(cache, 'ptau'), { recursive: true });
mkdirSync(join(cache, 'models', 'm1'), { recursive: true });
writeFileSync(join(cache, 'ptau', 'dev_12.ptau'), Buffer.alloc(1000));
writeFileSync(join(cache, 'models', 'm1', 'circuit.zkey'), Buffer.alloc(24));

// The variables doctor reads start unset in every run; each case sets its own.
const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^VERITY_PROVER/.test(k)));
function doctor(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'doctor', ...args], { encoding: 'utf8', env: { ...base, VERITY_CACHE_DIR: cache, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: args.includes('--json') ? (JSON.parse(r.stdout) as DoctorReport) : undefined };
}

/** An executable script standing in for the native prover binary. */
function fakeBinary(name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return path;
}

test('verity doctor --json: the backend auto chooses, the cache directory and its size, the toolchains; exit 0', () => {
  const { status, report } = doctor({}, '--json');
  assert.equal(status, 0);
  assert.equal(report!.prover.source, 'auto');
  assert.equal(report!.prover.backend, nativeProverBuilt() ? 'native' : 'snarkjs');
  if (nativeProverBuilt()) assert.equal(report!.prover.binary.runs, true);
  assert.deepEqual(report!.cache, { dir: cache, bytes: 1024, parts: { models: 24, ptau: 1000 } });
  assert.equal(report!.node.version, process.version);
  assert.equal(report!.contracts.built, true);
  assert.ok(report!.anvil && report!.forge, 'anvil and forge come with npm install');
  assert.deepEqual(report!.problems, []);
});

test('verity doctor prints one line per check and ends with ok', () => {
  const { status, stdout } = doctor({ VERITY_PROVER: 'snarkjs' });
  assert.equal(status, 0);
  const lines = stdout.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]).filter((w) => !w!.endsWith(':')), ['prover', 'threads', 'cache', 'node', 'cargo', 'anvil', 'forge', 'contracts', 'ok']);
  assert.equal(lines[0], 'prover     snarkjs (VERITY_PROVER=snarkjs)');
});

test('VERITY_PROVER=snarkjs is the backend, whether or not a native binary is built', () => {
  const { status, report } = doctor({ VERITY_PROVER: 'snarkjs', VERITY_PROVER_BIN: join(dir, 'not-built') }, '--json');
  assert.equal(status, 0);
  assert.deepEqual([report!.prover.backend, report!.prover.source, report!.prover.binary.built, report!.prover.binary.override], ['snarkjs', 'VERITY_PROVER', false, true]);
});

test('auto without a binary and without cargo: snarkjs, saying why, and no problem', () => {
  const path = join(dir, 'path-without-cargo');
  mkdirSync(path);
  symlinkSync(process.execPath, join(path, 'node'));
  const { status, report } = doctor({ VERITY_PROVER_BIN: join(dir, 'not-built'), PATH: path }, '--json');
  assert.equal(status, 0);
  assert.equal(report!.prover.backend, 'snarkjs');
  assert.equal(report!.cargo, null);
  assert.match(report!.prover.reason, /no native binary at .*not-built.*cargo not found/);
});

test('problems exit 1 and are named: native asked for but not built, an unknown backend, a binary that does not run', () => {
  const missing = doctor({ VERITY_PROVER: 'native', VERITY_PROVER_BIN: join(dir, 'not-built') });
  assert.equal(missing.status, 1);
  assert.match(missing.stdout, /^problem \(prover\): The native prover is not built \(.*not-built is missing\)/m);
  assert.match(missing.stdout, /1 problem\(s\)\n$/);

  const unknown = doctor({ VERITY_PROVER: 'rapidsnark' }, '--json');
  assert.equal(unknown.status, 1);
  assert.equal(unknown.report!.prover.backend, null);
  assert.deepEqual(unknown.report!.problems.map((p) => p.check), ['prover']);

  // a binary that crashes, and one from another version (other error kinds): auto picks it, so it is a problem
  for (const fake of [fakeBinary('crashes', 'exit 3'), fakeBinary('other-version', `echo '["ProvingKey"]'`)]) {
    const r = doctor({ VERITY_PROVER_BIN: fake }, '--json');
    assert.equal(r.status, 1, fake);
    assert.equal(r.report!.prover.binary.runs, false);
    assert.deepEqual(r.report!.problems.map((p) => p.check), ['prover']);
  }
  // the same binary with VERITY_PROVER=snarkjs is only a warning
  const snarkjs = doctor({ VERITY_PROVER: 'snarkjs', VERITY_PROVER_BIN: join(dir, 'crashes') }, '--json');
  assert.equal(snarkjs.status, 0);
  assert.equal(snarkjs.report!.warnings.length, 1);
  // and a stand-in that lists the right kinds runs
  const right = doctor({ VERITY_PROVER_BIN: fakeBinary('right', `echo '${JSON.stringify(Object.keys(NATIVE_ERRORS))}'`) }, '--json');
  assert.equal(right.status, 0);
  assert.equal(right.report!.prover.binary.runs, true);
});

test('threads: VERITY_PROVER_THREADS when it is a positive integer, else every core with a warning', () => {
  const three = doctor({ VERITY_PROVER: 'snarkjs', VERITY_PROVER_THREADS: '3' }, '--json').report!;
  assert.deepEqual(three.threads, { count: 3, source: 'VERITY_PROVER_THREADS' });
  const bad = doctor({ VERITY_PROVER: 'snarkjs', VERITY_PROVER_THREADS: 'many' }, '--json').report!;
  assert.equal(bad.threads.source, 'cores');
  assert.equal(bad.warnings.filter((w) => w.includes('VERITY_PROVER_THREADS')).length, 1);
});
