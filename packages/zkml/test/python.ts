import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../src/index.js';

/**
 * A Python with the packages of `requirements` (a pip requirements file), in a virtual
 * environment under the Verity cache directory made on first use and reused while the file is
 * unchanged (its hash names the environment). Returns the interpreter's path, or why none could
 * be made (no python3 with venv, pip failing: PyPI unreachable): the caller skips with that reason.
 *
 * @example
 * const python = pythonEnv('tools/sklearn/requirements.txt', 'sklearn')
 */
export function pythonEnv(requirements: string, name: string): { python: string } | { unavailable: string } {
  const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const venv = join(cacheDir(), 'python', `${name}-${hash}`);
  const python = join(venv, 'bin', 'python');
  const ready = join(venv, '.installed');
  if (existsSync(ready)) return { python };
  const system = ['python3.11', 'python3'].find((p) => spawnSync(p, ['-c', 'import sys, venv, ensurepip; assert sys.version_info >= (3, 9)'], { stdio: 'ignore' }).status === 0);
  if (!system) return { unavailable: 'no Python 3.9 or later with venv and ensurepip (python3.11, python3) on PATH' };
  rmSync(venv, { recursive: true, force: true });
  for (const args of [[system, '-m', 'venv', venv], [python, '-m', 'pip', 'install', '--quiet', '-r', requirements]]) {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) {
      rmSync(venv, { recursive: true, force: true });
      return { unavailable: `\`${args.slice(1).join(' ')}\` failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
    }
  }
  writeFileSync(ready, '');
  return { python };
}
