// npm run bench:scale: a CNN of about
// 500k constraints (a 2^19 setup), end to end with the default backends (the r1cs constraint
// system, the native setup and prover when the core is built): compile, Groth16 setup on the
// cached 2^19 dev powers of tau (zkey new, one contribution, the verifier), warm proofs
// (witness on its worker + Groth16), the last proof checked by snarkjs, the peak memory and the
// CPU seconds of the whole run. With the native core it also times the dev powers of tau 2^19
// alone (`verity-prover dev-ptau` into a scratch file; BENCH_DEV_PTAU=0 skips it). Replaces the
// "## Scale: the 500k-constraint CNN" section of BENCHMARKS.md; the circom + snarkjs row there is quoted from its run of
// 2026-11-23 (that setup alone took 28 minutes).
// BENCH_SCALE=5m runs issue 17's multi-million-constraint target instead (`SCALE_5M` in
// scripts/bench/models.ts: about 5.8M constraints, a 2^23 setup) and writes its own section,
// "## Scale: 5 million constraints", with the peak memory of each step: the compile (this
// measuring process up to the setup), the native setup and contribution, the native prover.
// Its dev powers of tau is timed alone only with BENCH_DEV_PTAU=1 (a 9.7 GB scratch file).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { devPowersOfTau, NATIVE_PROVER_BIN, nativeProverBuilt, resolveBackend, type CompileReport } from '@verity/zkml';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:scale] ${s}`);
const big = process.env.BENCH_SCALE === '5m';
const [key, power] = big ? ['cnn-5m', 23] as const : ['cnn-large', 19] as const;
const channels = (process.env.BENCH_CNN ?? '12,16').split(',').map(Number) as [number, number];
const work = mkdtempSync(join(tmpdir(), 'verity-scale-'));
const started = new Date();
const loads: string[] = [];
const load = () => loads.push(loadavg()[0]!.toFixed(1));
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
// GNU time (Debian's `time` package) reports the peak memory of the largest process of a run
// (circom's or the native core's included) and the CPU seconds of all of them.
const gnuTime = existsSync('/usr/bin/time');
const timed = (cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) => {
  const r = spawnSync(gnuTime ? '/usr/bin/time' : cmd, gnuTime ? ['-v', cmd, ...args] : args, {
    env: options.env ?? process.env, input: options.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 26,
  });
  const field = (re: RegExp) => Number(re.exec(r.stderr)?.[1] ?? NaN);
  const [m, s] = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)?.slice(2) ?? [];
  return {
    ...r,
    peakMb: field(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    cpuSeconds: field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/),
    wallSeconds: Number(m) * 60 + Number(s),
  };
};

const native = resolveBackend() === 'native';
load();
let devPtau: { wallSeconds: number; cpuSeconds: number; peakMb: number } | undefined;
if (native && nativeProverBuilt() && gnuTime && process.env.BENCH_DEV_PTAU !== '0' && (!big || process.env.BENCH_DEV_PTAU === '1')) {
  log(`dev powers of tau 2^${power}, native, into a scratch file`);
  const secret = () => BigInt(`0x${randomBytes(31).toString('hex')}`).toString();
  const r = timed(NATIVE_PROVER_BIN, ['dev-ptau', join(work, `dev_${power}.ptau`), String(power)], { input: `${secret()} ${secret()} ${secret()}` });
  if (r.status !== 0) throw new Error(`verity-prover dev-ptau exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  devPtau = r;
  rmSync(join(work, `dev_${power}.ptau`));
  load();
}

const t0 = performance.now();
let cachedPtau = true;
await devPowersOfTau(power, (e) => { cachedPtau = false; log(`${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`); });
const ptauSeconds = (performance.now() - t0) / 1000;

log(`compile, setup and warm proofs (scripts/bench/measure.ts ${key})`);
const r = timed(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench', 'measure.ts'), key, join(work, key)], {
  env: { ...process.env, BENCH_RUNS: process.env.BENCH_RUNS ?? '3' },
});
load();
process.stderr.write(r.stderr.split('\n').filter((l) => l.startsWith('[')).join('\n') + '\n');
if (r.status !== 0) throw new Error(`measure exited with ${r.status}: ${r.stderr.slice(-2000)}`);
type Mark = { ms: number; cpu: number; maxRssMb: number };
type Row = { report: CompileReport; witnessMs: number; proveMs: number; peakMb: number; proverPeakMb: number; backend: string; snarkjsVerified: boolean; marks: Record<string, Mark>; nativePeakMb: Record<string, number> };
const row = JSON.parse(r.stdout.trim().split('\n').pop()!) as Row;
const { report, marks } = row;
if (!row.snarkjsVerified) throw new Error('snarkjs rejected the last proof');
const peakMb = gnuTime ? r.peakMb : row.peakMb;
// The setup runs from compile's "groth16 setup (…)" line to the accuracy check; zkey new from
// its first progress line to the contribution's. CPU: the measuring process and the native
// setup's processes.
const mark = (prefix: string) => Object.entries(marks).filter(([k]) => k.startsWith(prefix)).map(([, m]) => m).sort((a, b) => a.ms - b.ms)[0];
const [setupStart, setupEnd] = [mark('groth16 setup ('), mark('accuracy')];
const [newStart, contribStart] = [mark('groth16 setup (native)'), mark('groth16 contribution (native)')];
const span = (a?: Mark, b?: Mark) => (a && b ? `${fmt((b.ms - a.ms) / 1000, 1)} s wall, ${fmt(b.cpu - a.cpu, 1)} s CPU` : '—');
const setupEngine = newStart ? 'native' : report.timings.setupSeconds > 0 ? 'snarkjs' : '—';
const setupCell = `${fmt(report.timings.setupSeconds, 1)}${setupStart && setupEnd ? ` (${fmt(setupEnd.cpu - setupStart.cpu, 1)} s CPU)` : ''}`;

const accuracyCells = report.accuracy ? `${report.accuracy.maxAbsError.toPrecision(3)} / ${report.accuracy.outputRange.toPrecision(3)} | ${(report.accuracy.top1Agreement * 100).toFixed(0)}% of ${report.accuracy.samples}` : '— | —';
const section = big ? [
  '## Scale: 5 million constraints (`BENCH_SCALE=5m npm run bench:scale`)',
  '',
  `Run ${started.toISOString()}, \`BENCH_SCALE=5m npm run bench:scale\`; load average (1 min) ${loads.join(', ')} at its start and its end (the 2 cores are shared with other engineers' builds and tests). Issue 17's largest-model target: a VGG-style CNN on 3x64x64, conv 3x3x16, ReLU, conv 3x3x16, ReLU, max-pool, conv 3x3x16, ReLU, max-pool, 4096-64-10 (\`scaleCnn\` and \`SCALE_5M\` in scripts/bench/models.ts; seeded weights, ${report.accuracy?.samples ?? 8} smooth random images as calibration and accuracy inputs). One process (scripts/bench/measure.ts) compiles with the r1cs backend, sets up natively on the cached dev powers of tau 2^${power}, and proves ${process.env.BENCH_RUNS ?? 3} times warm with the native prover (the median shown, after a warm-up proof); the last proof is verified by snarkjs. Peak MB per step: the compile is the measuring process's own peak when the setup starts; setup, contribution and prover are the native processes' high-water marks (VmHWM, sampled from /proc); the whole run's is GNU time's largest process.`,
  '',
  '| constraints | compile s / peak MB | powers of tau 2^' + power + ' | setup s: zkey new + contribution / peak MB | warm prove ms: witness + proof / prover peak MB | whole run: peak MB, CPU s | max abs error / output range (onnxruntime-web) | top-1 |',
  '|---|---|---|---|---|---|---|---|',
  `| ${fmt(report.constraints)} | ${fmt(report.timings.compileSeconds, 1)} / ${fmt(setupStart?.maxRssMb ?? NaN)} | ${cachedPtau ? 'cached' : `${fmt(ptauSeconds, 1)} s`} | ${fmt(report.timings.setupSeconds, 1)}: ${newStart && contribStart ? fmt((contribStart.ms - newStart.ms) / 1000, 1) : '—'} + ${contribStart && setupEnd ? fmt((setupEnd.ms - contribStart.ms) / 1000, 1) : '—'} / ${fmt(row.nativePeakMb.setup ?? NaN)} + ${fmt(row.nativePeakMb.contribute ?? NaN)} | ${fmt(row.witnessMs)} + ${fmt(row.proveMs)} = ${fmt(row.witnessMs + row.proveMs)} / ${fmt(row.proverPeakMb)} | ${fmt(peakMb)}, ${gnuTime ? fmt(r.cpuSeconds) : '—'} | ${accuracyCells} |`,
  '',
  ...(devPtau ? [`Dev powers of tau 2^${power} alone, native (\`verity-prover dev-ptau\`, into a scratch file): ${fmt(devPtau.wallSeconds, 1)} s wall, ${fmt(devPtau.cpuSeconds, 1)} s CPU, ${fmt(devPtau.peakMb)} MB peak, at load average ${loads[0]}.`, ''] : []),
  `Where the constraints go: ${Object.entries(report.constraintsByPart).map(([k, v]) => `${k.replace(/^node:/, '')} ${fmt(v)}`).join(', ')}. Compile s: the constraint system built and circuit.r1cs written; the ONNX import and the quantisation before it ended ${mark('r1cs') ? fmt(mark('r1cs')!.ms / 1000, 1) : '—'} s after the process started.`,
  '',
  '',
] : [
  '## Scale: the 500k-constraint CNN (`npm run bench:scale`)',
  '',
  `Run ${started.toISOString()}, \`npm run bench:scale\`; load average (1 min) ${loads.join(', ')} at its start, after the dev powers of tau and at its end (the 2 cores are shared with other engineers' builds and tests, so the CPU seconds say more than the wall times). A CNN on 1x28x28: conv 3x3x${channels[0]}, ReLU, max-pool, conv 3x3x${channels[1]}, ReLU, max-pool, ${channels[1] * 49}-64-10 (\`largeCnn\` in scripts/bench/models.ts; BENCH_CNN=c1,c2 changes the widths). Compile, setup and ${process.env.BENCH_RUNS ?? 3} warm proofs (the median shown, after a warm-up proof) run in one process (scripts/bench/measure.ts), the native core in its child processes; the last proof is verified by snarkjs. Peak MB: the largest single process of the run (GNU time); CPU s: every process of the run, user + system.`,
  '',
  '| backends: constraint system / setup / prover | constraints | compiled as | powers of tau 2^19 s | compile s | setup s | warm prove ms: witness + proof | peak MB | CPU s (whole run) | max abs error / output range | top-1 |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  `| ${report.backend ?? 'circom'} / ${setupEngine} / ${row.backend} (this run) | ${fmt(report.constraints)} | ${report.shards ? `${report.shards.parts} parts, linked` : 'one circuit'} | ${cachedPtau ? 'cached' : fmt(ptauSeconds, 1)} | ${fmt(report.timings.compileSeconds, 1)} | ${setupCell} | ${fmt(row.witnessMs)} + ${fmt(row.proveMs)} = ${fmt(row.witnessMs + row.proveMs)} | ${fmt(peakMb)}${gnuTime ? '' : ' (measuring process only)'} | ${gnuTime ? fmt(r.cpuSeconds) : '—'} | ${report.accuracy ? `${report.accuracy.maxAbsError.toPrecision(3)} / ${report.accuracy.outputRange.toPrecision(3)}` : '—'} | ${report.accuracy ? `${(report.accuracy.top1Agreement * 100).toFixed(0)}%` : '—'} |`,
  '| circom / snarkjs / snarkjs (2026-11-23, quoted, not re-run) | 499,314 | 13 parts, linked | 3,724 (TypeScript, one core) | 541.5 | 1,686.9 | 61,500 + 42,337 = 103,837 | 5,278 | — | 0.0324 / 2.98 | 100% |',
  '',
  `Setup, this run: zkey new ${span(newStart, contribStart)}; the contribution and the verifier export ${span(contribStart, setupEnd)}.`,
  '',
  ...(devPtau ? [`Dev powers of tau 2^19 alone, native (\`verity-prover dev-ptau\`, the file \`writeDevPtau\` writes; 604 MB): ${fmt(devPtau.wallSeconds, 1)} s wall, ${fmt(devPtau.cpuSeconds, 1)} s CPU, ${fmt(devPtau.peakMb)} MB peak, at load average ${loads[0]}. The TypeScript writer took 3,724 s on one core with a 1.95 GB peak (2026-11-23).`, ''] : []),
  `Where the constraints go: ${Object.entries(report.constraintsByPart).map(([k, v]) => `${k.replace(/^node:/, '')} ${fmt(v)}`).join(', ')}.${row.proverPeakMb ? ` The native prover's own peak while proving: ${fmt(row.proverPeakMb)} MB.` : ''}`,
  '',
  'The quoted row is the circom2 + snarkjs pipeline before the r1cs backend and the native core: 13 circom2 parts linked (circom2 runs out of WebAssembly\'s 4 GiB on the model in one piece), every part\'s WebAssembly witness generator instantiated again per proof, snarkjs\'s setup (its peak is the setup\'s) and prover with its workers; the 2^19 dev powers of tau took 3,724 s then (cached for that run).',
  '',
  '',
];
writeBenchSection(big ? '## Scale: 5 million constraints' : '## Scale: the 500k-constraint CNN', section);
rmSync(work, { recursive: true, force: true });
process.exit(0);
