import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeDevPtau } from './devPtau.js';
import type { Progress } from '../progress.js';

/** Where generated artefacts that are too large for git are cached between runs. */
export function cacheDir(): string {
  const dir = process.env.VERITY_CACHE_DIR ?? join(homedir(), '.cache', 'verity');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Label carried by every artefact made with the locally generated powers of tau. */
export const INSECURE_DEV_SETUP =
  'INSECURE DEV SETUP: powers of tau generated on this machine by one party; whoever ran it could forge proofs. Not for production.';

/**
 * Returns a prepared powers-of-tau file with at least 2^power points, generating and
 * caching one if none exists (see {@link writeDevPtau}: computed from a random secret that
 * is then dropped). The file is an insecure, single-party dev setup
 * ({@link INSECURE_DEV_SETUP}); production imports a public ceremony's file.
 */
export async function devPowersOfTau(power: number, progress?: Progress): Promise<string> {
  const dir = join(cacheDir(), 'ptau');
  mkdirSync(dir, { recursive: true });
  const cached = readdirSync(dir)
    .map((f) => /^dev_(\d+)\.ptau$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((p) => p >= power)
    .sort((a, b) => a - b)[0];
  if (cached !== undefined) return join(dir, `dev_${cached}.ptau`);
  const target = join(dir, `dev_${power}.ptau`);
  const partial = join(dir, `.dev_${power}.${process.pid}.partial`);
  try {
    const phase = `powers of tau 2^${power} (insecure dev setup from a random secret, cached after the first run)`;
    progress?.({ phase, percent: 0 });
    await writeDevPtau(partial, power, undefined, (percent) => progress?.({ phase, percent }));
    renameSync(partial, target);
    return target;
  } finally {
    rmSync(partial, { force: true });
  }
}
