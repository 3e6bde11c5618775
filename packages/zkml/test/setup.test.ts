import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';

// A private cache, so the imported ceremony file does not leak into other runs.
process.env.VERITY_CACHE_DIR = mkdtempSync(join(tmpdir(), 'verity-setup-cache-'));
const { buildMlpOnnx, compileModel, contribute, importPtau, Prover, releaseCurves, SetupVerificationError, verifyProofFile, verifySetup } = await import('./exports.js');

const scratch = mkdtempSync(join(tmpdir(), 'verity-setup-'));
after(releaseCurves);

/** The files this process holds open under `dir` (snarkjs leaves some open; Node would close them on GC with DEP0137). */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try { return [readlinkSync(`/proc/self/fd/${fd}`)]; } catch { return []; }
  }).filter((f) => f.startsWith(dir));
}

/** A three-party ceremony at 2^9 with snarkjs: what a public ceremony publishes, in miniature. */
async function ceremony(): Promise<string> {
  const curve = await (await import('ffjavascript')).getCurveFromName('bn128', true);
  const p0 = join(scratch, 'pot_0.ptau'), p1 = join(scratch, 'pot_1.ptau'), p2 = join(scratch, 'pot_2.ptau'), final = join(scratch, 'pot_final.ptau');
  await snarkjs.powersOfTau.newAccumulator(curve, 9, p0);
  await snarkjs.powersOfTau.contribute(p0, p1, 'carol', 'carol entropy');
  await snarkjs.powersOfTau.contribute(p1, p2, 'dave', 'dave entropy');
  await snarkjs.powersOfTau.preparePhase2(p2, final);
  return final;
}

const model = buildMlpOnnx({ inputSize: 4, layers: [{ weights: [[0.5, -0.25, 0.75, 1], [-1, 0.5, 0.25, -0.5]], bias: [0.1, -0.2], relu: false }] });

test('an imported ceremony ptau is used by compile; phase-2 contributions verify; a corrupted ptau or another ptau does not', async () => {
  const ptau = await ceremony();
  // A corrupted ceremony file is refused and not installed.
  const bad = join(scratch, 'bad.ptau');
  const bytes = readFileSync(ptau);
  bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
  writeFileSync(bad, bytes);
  await assert.rejects(importPtau(bad), (e: unknown) => e instanceof SetupVerificationError);
  assert.deepEqual(openFilesUnder(scratch), [], 'a refused ptau is not left open');

  const imported = await importPtau(ptau);
  assert.equal(imported.power, 9);
  const dir = join(scratch, 'm');
  const report = await compileModel(model, { out: dir });
  assert.equal(report.setup.ptau, 'ceremony');
  assert.equal(report.setup.insecure, false);
  assert.equal(report.setup.contributions.length, 1);
  assert.ok(!readFileSync(join(dir, 'Verifier.sol'), 'utf8').includes('INSECURE'));

  const a = await contribute(dir, { name: 'alice', entropy: 'alice entropy' });
  const b = await contribute(dir, { name: 'bob' });
  assert.equal(b.contributions, 3);
  assert.notEqual(a.hash, b.hash);
  const checked = await verifySetup(dir, imported.path);
  assert.equal(checked.ok, true);
  assert.ok(checked.log.some((l) => l.includes('alice')) && checked.log.some((l) => l.includes('bob')));
  assert.deepEqual(openFilesUnder(scratch), [], 'verifySetup leaves no file open');
  assert.deepEqual(openFilesUnder(process.env.VERITY_CACHE_DIR!), [], 'verifySetup leaves the ptau closed');

  // The refreshed verification key accepts proofs from the final key.
  const prover = await Prover.load(dir);
  // Compiled without calibration, the model takes [-1, 0.9921875]: 1 itself is out of range.
  const proof = await prover.prove({ input: [0.5, -0.5, 0.25, 0.75] }, 3n);
  assert.equal(await verifyProofFile(dir, proof), true);

  // Against another ptau (the dev one), the key does not verify.
  const other = join(scratch, 'other.ptau');
  const { writeDevPtau } = await import('./exports.js');
  await writeDevPtau(other, 9);
  assert.equal((await verifySetup(dir, other)).ok, false);
  assert.deepEqual(openFilesUnder(scratch), [], 'a failed verifySetup leaves no file open');
});
