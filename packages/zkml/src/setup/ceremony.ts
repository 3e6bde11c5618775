import { copyFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { BaseError } from '@verity/errors';
import { ARTEFACT_FILES, type CompileReport } from '../artefacts.js';
import { writeVerifier, writeWhole } from './groth16.js';
import { cacheDir } from './ptau.js';
import { closingLeftOpen } from '../teardown.js';
import { resolveBackend, type BackendChoice } from '../prover/backend.js';
import { nativeContribute } from './native.js';

/** A powers-of-tau file or a phase-2 key that fails verification. */
export class SetupVerificationError extends BaseError {
  override name = 'SetupVerificationError';
  constructor({ file, reason }: { file: string; reason: string }) {
    super(`Setup verification failed for ${file}: ${reason}`);
  }
}

/** A short log collector for snarkjs's logger argument. */
function collector() {
  const lines: string[] = [];
  const push = (m: string) => lines.push(String(m));
  return { lines, logger: { warn: push, info: push, error: push, debug() {} } };
}

/** The power (log2 of the point count) a prepared .ptau file holds, from its header section. */
export function ptauPower(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    readSync(fd, head, 0, head.length, 0);
    if (head.toString('ascii', 0, 4) !== 'ptau') throw new SetupVerificationError({ file, reason: 'not a .ptau file' });
    let pos = 12;
    // Section 1 (header): n8, prime (n8 bytes), power, ceremony power.
    while (pos < head.length - 12) {
      const type = head.readUInt32LE(pos);
      const size = Number(head.readBigUInt64LE(pos + 4));
      if (type === 1) {
        const n8 = head.readUInt32LE(pos + 12);
        return head.readUInt32LE(pos + 16 + n8);
      }
      pos += 12 + size;
    }
    throw new SetupVerificationError({ file, reason: 'no header section' });
  } finally {
    closeSync(fd);
  }
}

/** A cached ceremony file with at least 2^power points, if one was imported. */
export function ceremonyPtau(power: number): string | undefined {
  const dir = join(cacheDir(), 'ptau');
  for (let p = power; p <= 28; p++) {
    const f = join(dir, `ceremony_${p}.ptau`);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/**
 * The powers of tau a circuit needs: 2^power points for its constraints and public signals
 * (at least 2^8), and the imported ceremony file that has them, if any (else the dev one).
 */
export function ptauFor(constraints: number, publicSignals: number): { power: number; ceremony: string | undefined } {
  const power = Math.max(8, Math.ceil(Math.log2(constraints + publicSignals + 1)));
  return { power, ceremony: ceremonyPtau(power) };
}

/**
 * Verifies a public ceremony's prepared powers-of-tau file (every contribution and the
 * phase-2 preparation, with snarkjs) and installs it in the cache, where compiles take it
 * in preference to the insecure dev file. Returns its power and the contribution log.
 *
 * @example
 * await importPtau('powersOfTau28_hez_final_16.ptau') // { power: 16, ... }
 */
export async function importPtau(file: string): Promise<{ power: number; path: string; log: string[] }> {
  const power = ptauPower(file);
  const { lines, logger } = collector();
  const ok = await closingLeftOpen([file], () => snarkjs.powersOfTau.verify(file, logger));
  if (!ok) throw new SetupVerificationError({ file, reason: lines.filter((l) => /error|invalid|fail/i.test(l)).join('; ') || 'snarkjs rejected it' });
  const dir = join(cacheDir(), 'ptau');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `ceremony_${power}.ptau`);
  copyFileSync(file, `${path}.partial`);
  renameSync(`${path}.partial`, path);
  return { power, path, log: lines };
}

/** Rewrites the verification key, Solidity verifier and report after the zkey changed. */
async function refreshVerifier(dir: string, report: CompileReport): Promise<void> {
  const bytecodeSize = await writeVerifier(dir, report.setup.insecure);
  if (report.verifier) report.verifier.bytecodeSize = bytecodeSize;
  writeWhole(join(dir, ARTEFACT_FILES.report), JSON.stringify(report, null, 2));
}

/**
 * Adds one phase-2 contribution to a compiled model's proving key (each participant runs
 * this in turn on the previous participant's directory, then destroys their entropy). The
 * verification key and verifier change with every contribution: register the model after
 * the last one. Returns the contribution hash participants publish. The native core makes the
 * contribution when it is the backend in use (the same record snarkjs writes), else snarkjs.
 *
 * @example
 * await contribute('build/spam', { name: 'alice' })
 */
export async function contribute(dir: string, { name, entropy, backend }: { name: string; entropy?: string; backend?: BackendChoice }): Promise<{ hash: string; contributions: number }> {
  const report = JSON.parse(readFileSync(join(dir, ARTEFACT_FILES.report), 'utf8')) as CompileReport;
  const zkey = join(dir, ARTEFACT_FILES.zkey);
  const next = `${zkey}.next`;
  try {
    const secret = entropy ?? randomBytes(64).toString('hex');
    const hash = resolveBackend(backend) === 'native'
      ? (await nativeContribute(zkey, next, name, secret)).hash
      : Buffer.from(await snarkjs.zKey.contribute(zkey, next, name, secret)).toString('hex');
    renameSync(next, zkey);
    report.setup.contributions = [...(report.setup.contributions ?? []), { name, hash }];
    await refreshVerifier(dir, report);
    return { hash, contributions: report.setup.contributions.length };
  } finally {
    rmSync(next, { force: true });
  }
}

/**
 * Checks a compiled model's proving key against its circuit and a powers-of-tau file:
 * the key derives from that ptau and every listed phase-2 contribution is valid. Returns
 * snarkjs's log (the contribution hashes to compare with what participants published).
 */
export async function verifySetup(dir: string, ptau: string): Promise<{ ok: boolean; log: string[] }> {
  const { lines, logger } = collector();
  const files = [join(dir, ARTEFACT_FILES.r1cs), ptau, join(dir, ARTEFACT_FILES.zkey)] as const;
  const ok = await closingLeftOpen([...files], () => snarkjs.zKey.verifyFromR1cs(...files, logger));
  return { ok, log: lines };
}
