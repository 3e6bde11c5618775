// npm run bench:scale: the largest model this 2-core machine is meant to take, a CNN of about
// 500k constraints (a 2^19 setup): compile, powers of tau, Groth16 setup and warm proofs, with
// the peak memory of the whole run (circom included). Replaces the "## Scale" section of
// BENCHMARKS.md. On a cold cache the 2^19 dev powers of tau take about an hour (one core).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { devPowersOfTau, type CompileReport } from '@verity/zkml';

const log = (s: string) => console.error(`[bench:scale] ${s}`);
const channels = (process.env.BENCH_CNN ?? '12,16').split(',').map(Number) as [number, number];
const work = mkdtempSync(join(tmpdir(), 'verity-scale-'));
const started = new Date();

const t0 = performance.now();
let cachedPtau = true;
await devPowersOfTau(19, (e) => { cachedPtau = false; log(`${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`); });
const ptauSeconds = (performance.now() - t0) / 1000;

// GNU time (Debian's `time` package) reports the peak memory of every process of the run,
// circom's included; without it the figure is the measuring process's own.
const gnuTime = existsSync('/usr/bin/time');
const args = ['--import', 'tsx', join(import.meta.dirname, 'bench', 'measure.ts'), 'cnn-large', join(work, 'cnn-large')];
const r = spawnSync(gnuTime ? '/usr/bin/time' : process.execPath, gnuTime ? ['-v', process.execPath, ...args] : args, {
  env: { ...process.env, BENCH_RUNS: process.env.BENCH_RUNS ?? '3' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26,
});
process.stderr.write(r.stderr.split('\n').filter((l) => l.startsWith('[')).join('\n') + '\n');
if (r.status !== 0) throw new Error(`measure exited with ${r.status}: ${r.stderr.slice(-2000)}`);
const row = JSON.parse(r.stdout.trim().split('\n').pop()!) as { report: CompileReport; witnessMs: number; proveMs: number; peakMb: number };
const maxRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
const peakMb = maxRss ? Number(maxRss[1]) / 1024 : row.peakMb;
const { report } = row;
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const section = [
  `## Scale: the largest model (\`npm run bench:scale\`)`,
  '',
  `Run ${started.toISOString()} on ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, \`npm run bench:scale\`. A CNN on 1x28x28: conv 3x3x${channels[0]}, ReLU, max-pool, conv 3x3x${channels[1]}, ReLU, max-pool, ${channels[1] * 49}-64-10 (\`largeCnn\` in scripts/bench/models.ts; BENCH_CNN=c1,c2 changes the widths).`,
  '',
  '| constraints | compiled as | powers of tau 2^19 s | compile s | setup s | prove ms (warm: witness + proof) | peak MB (whole run) | max abs error / output range | top-1 |',
  '|---|---|---|---|---|---|---|---|---|',
  `| ${fmt(report.constraints)} | ${report.shards ? `${report.shards.parts} parts, linked (${report.shards.constraintsPerPart.map((c) => fmt(c)).join(' + ')})` : 'one circuit'} | ${cachedPtau ? 'cached' : fmt(ptauSeconds)} | ${fmt(report.timings.compileSeconds, 1)} | ${fmt(report.timings.setupSeconds, 1)} | ${fmt(row.witnessMs)} + ${fmt(row.proveMs)} | ${fmt(peakMb)}${maxRss ? '' : ' (measuring process only)'} | ${report.accuracy ? `${report.accuracy.maxAbsError.toPrecision(3)} / ${report.accuracy.outputRange.toPrecision(3)}` : '—'} | ${report.accuracy ? `${(report.accuracy.top1Agreement * 100).toFixed(0)}%` : '—'} |`,
  '',
  `Where the constraints go: ${Object.entries(report.constraintsByPart).map(([k, v]) => `${k.replace(/^node:/, '')} ${fmt(v)}`).join(', ')}.`,
  '',
];
let doc = existsSync('BENCHMARKS.md') ? readFileSync('BENCHMARKS.md', 'utf8') : '# Benchmarks\n';
// Replace the Scale section only: the sections after it (load, agreed mode) stay.
const at = doc.indexOf('## Scale');
const end = at >= 0 ? doc.indexOf('\n## ', at + 1) : -1;
doc = at < 0
  ? `${doc.trimEnd()}\n\n${section.join('\n')}`
  : `${doc.slice(0, at)}${section.join('\n')}${end >= 0 ? doc.slice(end) : ''}`;
writeFileSync('BENCHMARKS.md', doc);
rmSync(work, { recursive: true, force: true });
console.log(section.join('\n'));
process.exit(0);
