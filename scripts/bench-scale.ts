// npm run bench:scale: a CNN of about
// 500k constraints (a 2^19 setup), end to end with the default backends (the r1cs constraint
// system, the native setup and prover when the core is built): compile, Groth16 setup on the
// cached 2^19 dev powers of tau (zkey new, one contribution, the verifier), warm proofs
// (witness on its worker + Groth16), the last proof checked by snarkjs, the peak memory and the
// CPU seconds of the whole run. With the native core it also times the dev powers of tau 2^19
// alone (`verity-prover dev-ptau` into a scratch file; BENCH_DEV_PTAU=0 skips it). Replaces the
// "## Scale: the 500k-constraint CNN" section of BENCHMARKS.md; the circom + snarkjs row there is
// quoted from its run of 2026-11-23 (that setup alone took 28 minutes).
// BENCH_SCALE=5m runs issue 17's 5-million-constraint target instead (scripts/bench/scale5m.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { devPowersOfTau, NATIVE_PROVER_BIN, nativeProverBuilt, resolveBackend, type CompileReport } from '@verity/zkml';
import { writeBenchSection } from './bench/section.js';
import { gnuTime, timed } from './bench/timed.js';
import { runScale5m } from './bench/scale5m.js';

if (process.env.BENCH_SCALE === '5m') {
  await runScale5m();
  process.exit(0);
}

const log = (s: string) => console.error(`[bench:scale] ${s}`);
const channels = (process.env.BENCH_CNN ?? '12,16').split(',').map(Number) as [number, number];
const work = mkdtempSync(join(tmpdir(), 'verity-scale-'));
const started = new Date();
const loads: string[] = [];
const load = () => loads.push(loadavg()[0]!.toFixed(1));
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const native = resolveBackend() === 'native';
load();
let devPtau: { wallSeconds: number; cpuSeconds: number; peakMb: number } | undefined;
if (native && nativeProverBuilt() && gnuTime && process.env.BENCH_DEV_PTAU !== '0') {
  log('dev powers of tau 2^19, native, into a scratch file');
  const secret = () => BigInt(`0x${randomBytes(31).toString('hex')}`).toString();
  const r = timed(NATIVE_PROVER_BIN, ['dev-ptau', join(work, 'dev_19.ptau'), '19'], { input: `${secret()} ${secret()} ${secret()}` });
  if (r.status !== 0) throw new Error(`verity-prover dev-ptau exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  devPtau = r;
  rmSync(join(work, 'dev_19.ptau'));
  load();
}

const t0 = performance.now();
let cachedPtau = true;
await devPowersOfTau(19, (e) => { cachedPtau = false; log(`${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`); });
const ptauSeconds = (performance.now() - t0) / 1000;

log('compile, setup and warm proofs (scripts/bench/measure.ts cnn-large)');
const r = timed(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench', 'measure.ts'), 'cnn-large', join(work, 'cnn-large')], {
  env: { ...process.env, BENCH_RUNS: process.env.BENCH_RUNS ?? '3' },
});
load();
process.stderr.write(r.stderr.split('\n').filter((l) => l.startsWith('[')).join('\n') + '\n');
if (r.status !== 0) throw new Error(`measure exited with ${r.status}: ${r.stderr.slice(-2000)}`);
type Mark = { ms: number; cpu: number };
type Row = { report: CompileReport; witnessMs: number; proveMs: number; peakMb: number; proverPeakMb: number; backend: string; snarkjsVerified: boolean; marks: Record<string, Mark> };
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

const section = [
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
writeBenchSection('## Scale: the 500k-constraint CNN', section);
rmSync(work, { recursive: true, force: true });
process.exit(0);
