// One stage of `BENCH_SCALE=5m npm run bench:scale` in its own process, so GNU time gives each
// stage's own peak memory: `compile DIR` (the r1cs backend, no setup, the accuracy against
// onnxruntime-web), `setup DIR` (the dev powers of tau the circuit needs, then zkey new, one
// contribution and the verifier, native when the core is built), `prove DIR` (a warm-up proof
// and BENCH_RUNS warm ones, the last checked by snarkjs). Prints one JSON line and writes it to
// DIR/stage-<name>.json. Progress lines go to stderr as `[5m] <phase>`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileModel, devPowersOfTau, groth16Setup, NativeProver, Prover, releaseCurves, type CompileReport } from '@verity/zkml';
import { blobSamples, scaleCnn, SCALE_5M } from './models.js';

const [stage, dir] = process.argv.slice(2) as ['compile' | 'setup' | 'prove', string];
const t0 = performance.now();
const marks: Record<string, number> = {};
const progress = (e: { phase: string; percent?: number }) => {
  marks[e.phase.split(':')[0]!] ??= (performance.now() - t0) / 1000;
  console.error(`[5m] ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`);
};
const samples = blobSamples(16, SCALE_5M.channels, SCALE_5M.size);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let result: Record<string, unknown>;
if (stage === 'compile') {
  const report = await compileModel(scaleCnn(SCALE_5M.channels, SCALE_5M.size, SCALE_5M.stages), { out: dir, calibration: samples, setup: false, progress });
  result = { report, marks };
} else if (stage === 'setup') {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CompileReport;
  let cached = true;
  const ptau = await devPowersOfTau(report.setup.ptauPower, (e) => { cached = false; progress(e); });
  const ptauSeconds = (performance.now() - t0) / 1000;
  const s = await groth16Setup(dir, { ptau, insecure: true, progress, what: `${report.constraints} constraints, dev powers of tau 2^${report.setup.ptauPower}` });
  result = { ptauPower: report.setup.ptauPower, ptauCached: cached, ptauSeconds, setupSeconds: (performance.now() - t0) / 1000 - ptauSeconds, verifierBytecodeSize: s.verifierBytecodeSize, marks };
} else {
  const prover = await Prover.load(dir);
  const loadSeconds = (performance.now() - t0) / 1000;
  await prover.prove({ input: samples[0]! }, 1n);
  const w: number[] = [], p: number[] = [];
  let last;
  for (let i = 0; i < Number(process.env.BENCH_RUNS ?? 3); i++) {
    last = await prover.prove({ input: samples[(i + 1) % samples.length]! }, BigInt(i + 2));
    w.push(last.timings!.witnessMs);
    p.push(last.timings!.proveMs);
  }
  const snarkjsVerified = await snarkjs.groth16.verify(JSON.parse(readFileSync(join(dir, 'verification_key.json'), 'utf8')), last!.publicSignals, last!.proof);
  const proverPeakMb = prover.backend instanceof NativeProver ? (await prover.backend.stats()).peakRssBytes / 2 ** 20 : 0;
  await prover.close();
  await releaseCurves();
  result = { backend: prover.backend.name, loadSeconds, witnessMs: median(w), proveMs: median(p), runs: w.length, snarkjsVerified, proverPeakMb };
}
const line = JSON.stringify({ stage, at: new Date().toISOString(), ...result });
writeFileSync(join(dir, `stage-${stage}.json`), line);
console.log(line);
process.exit(0);
