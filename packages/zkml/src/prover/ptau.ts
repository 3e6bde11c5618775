import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { getCurveFromName } from 'ffjavascript';
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
 * caching one with snarkjs if none exists. The file is an insecure, single-party dev
 * setup ({@link INSECURE_DEV_SETUP}); production imports a public ceremony's file.
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
  const work = join(dir, `.work_${power}_${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const curve = await getCurveFromName('bn128');
    progress?.({ phase: `powers of tau 2^${power} (insecure dev setup, cached after the first run)`, percent: 0 });
    await snarkjs.powersOfTau.newAccumulator(curve, power, join(work, '0.ptau'));
    progress?.({ phase: `powers of tau 2^${power}: contribution`, percent: 5 });
    await snarkjs.powersOfTau.contribute(join(work, '0.ptau'), join(work, '1.ptau'), 'verity dev', randomBytes(32).toString('hex'));
    progress?.({ phase: `powers of tau 2^${power}: preparing phase 2`, percent: 10 });
    await snarkjs.powersOfTau.preparePhase2(join(work, '1.ptau'), join(work, 'final.ptau'));
    renameSync(join(work, 'final.ptau'), target);
    progress?.({ phase: `powers of tau 2^${power}`, percent: 100 });
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function ptauExists(power: number): boolean {
  return existsSync(join(cacheDir(), 'ptau', `dev_${power}.ptau`));
}
