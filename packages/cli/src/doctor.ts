// `verity doctor`: what this installation proves with and why, and what it has (toolchains,
// caches, built contracts). It changes nothing; it exits 1 only on a problem it names.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, NATIVE_ERRORS, NATIVE_PROVER_BIN, nativeProverBuilt, NativeProverUnavailableError, resolveBackend, type ProverBackendName } from '@verity/zkml';
import { findBin } from './anvil.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEFAULT_BIN = join(ROOT, 'native', 'verity-prover', 'target', 'release', 'verity-prover');
/** The Node major version package.json's `engines` asks for. */
const MIN_NODE_MAJOR = 20;

/** A check that failed: what `verity doctor` exits 1 for. */
export type DoctorProblem = { check: 'prover' | 'node' | 'contracts' | 'cache'; message: string };

/** Everything `verity doctor` reports (`--json` prints this). */
export type DoctorReport = {
  prover: {
    backend: ProverBackendName | null;
    /** what chose it: the VERITY_PROVER variable, or `auto` (native when its binary is built) */
    source: 'VERITY_PROVER' | 'auto';
    reason: string;
    binary: { path: string; built: boolean; /** set by VERITY_PROVER_BIN */ override: boolean; /** `--kinds` ran and listed the TypeScript side's error kinds */ runs?: boolean };
  };
  threads: { count: number; source: 'VERITY_PROVER_THREADS' | 'cores' };
  cache: { dir: string; bytes: number; parts: Record<string, number> };
  node: { version: string; required: string };
  cargo: string | null;
  anvil: { path: string; version: string } | null;
  forge: { path: string; version: string } | null;
  contracts: { built: boolean; out: string; abis: string };
  warnings: string[];
  problems: DoctorProblem[];
};

/** The first line a command prints for `--version`, or null when it does not run. */
function versionOf(command: string, args = ['--version']): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim().split('\n')[0]! : null;
}

/** Bytes under a directory (files only, links not followed). */
function sizeOf(path: string): number {
  const s = lstatSync(path);
  if (!s.isDirectory()) return s.isFile() ? s.size : 0;
  return readdirSync(path).reduce((sum, f) => sum + sizeOf(join(path, f)), 0);
}

/** Newest modification time of the files under `path` (0 when there are none). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  return s.isDirectory() ? Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f)))) : s.mtimeMs;
}

function npmBin(name: string): { path: string; version: string } | null {
  try {
    const path = findBin(name);
    const version = versionOf(path);
    return version ? { path, version } : null;
  } catch {
    return null;
  }
}

/**
 * Checks this installation. Reads the environment the CLI runs with (VERITY_PROVER,
 * VERITY_PROVER_BIN, VERITY_PROVER_THREADS, VERITY_CACHE_DIR) and never changes anything but
 * creating the cache directory.
 *
 * @example
 * const report = diagnose()
 * if (report.problems.length > 0) process.exitCode = 1
 */
export function diagnose(): DoctorReport {
  const env = process.env;
  const problems: DoctorProblem[] = [];
  const warnings: string[] = [];
  const cargo = versionOf('cargo');

  // Which backend, and why: resolveBackend is the choice every prover makes.
  const chosen = env.VERITY_PROVER || undefined;
  const binary = { path: NATIVE_PROVER_BIN, built: nativeProverBuilt(), override: env.VERITY_PROVER_BIN !== undefined };
  let backend: ProverBackendName | null = null;
  try {
    backend = resolveBackend(chosen ?? 'auto');
  } catch (e) {
    problems.push({ check: 'prover', message: (e as Error).message });
  }
  const where = binary.override ? `${binary.path} (VERITY_PROVER_BIN)` : binary.path;
  const missing = cargo ? 'cargo is installed: `npm install` builds it' : 'cargo not found: install Rust and run `npm install` for the native core';
  let reason: string;
  if (chosen) reason = `VERITY_PROVER=${chosen}`;
  else if (binary.built) reason = `auto: native binary found at ${where}`;
  else reason = `auto: no native binary at ${where} (${missing})`;
  let runs: boolean | undefined;
  if (backend === 'native' && !binary.built) {
    problems.push({ check: 'prover', message: `${new NativeProverUnavailableError({ binary: binary.path }).shortMessage}; ${missing}` });
  } else if (binary.built) {
    // The binary answers `--kinds` with its error kinds: the same list as the TypeScript side's, or it is another build.
    const r = spawnSync(binary.path, ['--kinds'], { encoding: 'utf8', timeout: 30_000 });
    let kinds: unknown;
    try { kinds = JSON.parse(r.stdout); } catch { /* reported below */ }
    runs = r.status === 0 && Array.isArray(kinds) && [...kinds].sort().join() === Object.keys(NATIVE_ERRORS).sort().join();
    if (!runs) {
      const why = r.status === 0 ? `its error kinds ${JSON.stringify(kinds ?? r.stdout.slice(0, 200))} are not ${JSON.stringify(Object.keys(NATIVE_ERRORS))} (another version)` : `\`--kinds\` failed (${r.error?.message ?? r.signal ?? `exit code ${r.status}`})`;
      const message = `the native prover at ${binary.path} does not run: ${why}; rebuild it with npm install`;
      if (backend === 'native') problems.push({ check: 'prover', message });
      else warnings.push(message);
    } else if (!binary.override && binary.path === DEFAULT_BIN) {
      const crate = join(ROOT, 'native', 'verity-prover');
      if (Math.max(newest(join(crate, 'src')), newest(join(crate, 'Cargo.toml')), newest(join(crate, 'Cargo.lock'))) > statSync(binary.path).mtimeMs) {
        warnings.push('native/verity-prover has sources newer than its binary: `npm install` (or `node scripts/build-native.mjs`) rebuilds it');
      }
    }
  }

  const threadsVar = env.VERITY_PROVER_THREADS;
  const threadCount = Number(threadsVar);
  const threads = threadsVar !== undefined && Number.isInteger(threadCount) && threadCount > 0
    ? { count: threadCount, source: 'VERITY_PROVER_THREADS' as const }
    : { count: availableParallelism(), source: 'cores' as const };
  if (threadsVar !== undefined && threads.source === 'cores') warnings.push(`VERITY_PROVER_THREADS=${threadsVar} is not a positive integer: the native prover uses every core`);

  let cache: DoctorReport['cache'];
  try {
    const dir = cacheDir();
    const parts = Object.fromEntries(readdirSync(dir).map((f) => [f, sizeOf(join(dir, f))]));
    cache = { dir, bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts };
  } catch (e) {
    cache = { dir: env.VERITY_CACHE_DIR ?? '', bytes: 0, parts: {} };
    problems.push({ check: 'cache', message: `the cache directory cannot be made or read: ${(e as Error).message}` });
  }

  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) problems.push({ check: 'node', message: `Node ${process.version} is older than the ${MIN_NODE_MAJOR} package.json asks for` });

  const anvil = npmBin('anvil');
  const forge = npmBin('forge');
  if (!anvil) warnings.push('anvil (@foundry-rs/anvil) is not installed: verity dev and the tests need it; run npm install');
  if (!forge) warnings.push('forge (@foundry-rs/forge) is not installed: building the contracts needs it; run npm install');

  const contracts = { out: join(ROOT, 'contracts', 'out'), abis: join(ROOT, 'packages', 'sdk', 'src', 'generated', 'contracts.ts'), built: false };
  contracts.built = existsSync(contracts.out) && existsSync(contracts.abis);
  if (!contracts.built) problems.push({ check: 'contracts', message: `the contracts or their ABIs are not built (${existsSync(contracts.out) ? contracts.abis : contracts.out} is missing): run npm install` });

  return {
    prover: { backend, source: chosen ? 'VERITY_PROVER' : 'auto', reason, binary: { ...binary, ...(runs === undefined ? {} : { runs }) } },
    threads, cache, node: { version: process.version, required: `>=${MIN_NODE_MAJOR}` }, cargo, anvil, forge, contracts, warnings, problems,
  };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MB`;

/**
 * The report as `verity doctor` prints it.
 *
 * @example
 * console.log(formatDoctor(diagnose()))
 */
export function formatDoctor(r: DoctorReport): string {
  const parts = Object.entries(r.cache.parts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
  const lines = [
    `prover     ${r.prover.backend ?? 'none'} (${r.prover.reason})`,
    `threads    ${r.threads.count} (${r.threads.source === 'cores' ? 'every core; VERITY_PROVER_THREADS or a node config\'s prover.threads caps it' : 'VERITY_PROVER_THREADS'})`,
    `cache      ${r.cache.dir}: ${mb(r.cache.bytes)}${parts ? ` (${parts})` : ''}`,
    `node       ${r.node.version} (package.json asks for ${r.node.required})`,
    `cargo      ${r.cargo ?? 'not found (proofs use snarkjs unless a native binary is built)'}`,
    `anvil      ${r.anvil ? `${r.anvil.version} (${r.anvil.path})` : 'not installed'}`,
    `forge      ${r.forge ? `${r.forge.version} (${r.forge.path})` : 'not installed'}`,
    `contracts  ${r.contracts.built ? `built (${r.contracts.out}, ABIs in ${r.contracts.abis})` : 'not built'}`,
    ...r.warnings.map((w) => `warning: ${w}`),
    ...r.problems.map((p) => `problem (${p.check}): ${p.message}`),
    r.problems.length === 0 ? 'ok' : `${r.problems.length} problem(s)`,
  ];
  return lines.join('\n');
}
