import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './setup/ptau.js';

/** What a Python environment holds: a pip requirements file, or a list of package specifiers. */
export type PythonPackages = { requirements: string } | { packages: readonly string[] };

/**
 * A Python with `packages` installed, in a virtual environment under the Verity cache directory
 * (`python/<name>-<hash>`) made on first use and reused while what it holds is unchanged (the
 * hash of the requirements file's text, or of the package list, names it). Python is for tests
 * and benchmarks only (skl2onnx exports, the EZKL comparison, the real-world model suite).
 * Returns the interpreter's path, or why none could be made (no python3 with venv, pip failing:
 * PyPI unreachable): the caller skips with that reason. `log` hears of a first install.
 *
 * @example
 * const env = pythonEnv('sklearn', { requirements: 'tools/sklearn/requirements.txt' })
 * if ('python' in env) spawnSync(env.python, ['tools/sklearn/export.py', 'examples', 'out'])
 */
export function pythonEnv(name: string, packages: PythonPackages, log?: (line: string) => void): { python: string } | { unavailable: string } {
  const spec = 'requirements' in packages ? readFileSync(packages.requirements) : packages.packages.join('\n');
  const hash = createHash('sha256').update(spec).digest('hex').slice(0, 12);
  const venv = join(cacheDir(), 'python', `${name}-${hash}`);
  const python = join(venv, 'bin', 'python');
  const ready = join(venv, '.installed');
  if (existsSync(ready)) return { python };
  const system = ['python3.11', 'python3'].find((p) => spawnSync(p, ['-c', 'import sys, venv, ensurepip; assert sys.version_info >= (3, 9)'], { stdio: 'ignore' }).status === 0);
  if (!system) return { unavailable: 'no Python 3.9 or later with venv and ensurepip (python3.11, python3) on PATH' };
  log?.(`making ${venv} and installing ${'requirements' in packages ? packages.requirements : packages.packages.join(', ')} from PyPI (once; cached)`);
  rmSync(venv, { recursive: true, force: true });
  const install = 'requirements' in packages ? ['-r', packages.requirements] : [...packages.packages];
  for (const args of [[system, '-m', 'venv', venv], [python, '-m', 'pip', 'install', '--quiet', ...install]]) {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      rmSync(venv, { recursive: true, force: true });
      return { unavailable: `\`${args.slice(1).join(' ')}\` failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
    }
  }
  writeFileSync(ready, '');
  return { python };
}
