// npm run bench:realworld: issue 17's "real-world exported models that compile, prove and match
// onnxruntime within 1%" measured on a suite made here. tools/realworld/export.py trains small
// models on scikit-learn's bundled datasets and exports them with their owners' converters
// (skl2onnx, onnxmltools for xgboost and lightgbm, torch.onnx.export), into the Verity cache
// directory (not git; remade when export.py or its requirements change). Each model then runs in
// a process of its own (scripts/bench/realworld-model.ts), killed at BENCH_TIMEOUT seconds:
// compile (default r1cs backend, Groth16 setup, 16-bit inputs, the exporter's calibration rows),
// prove the first held-out row, verify, compare with onnxruntime (classifiers: the same label;
// otherwise within 1% of the output's largest magnitude). Replaces the "## Real-world models"
// section of BENCHMARKS.md.
// BENCH_TORCH=0: without PyTorch (its environment is ~5.5 GB). BENCH_TIMEOUT=180 (s per model).
// BENCH_MODELS=a,b: only those models (the section is then not written).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, pythonEnv } from '@verity/zkml';
import { writeBenchSection } from './bench/section.js';
import type { Meta, RealworldResult } from './bench/realworld-model.js';

const log = (s: string) => console.error(`[bench:realworld] ${s}`);
const root = join(import.meta.dirname, '..');
const tools = join(root, 'tools', 'realworld');
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT ?? 180);
const torch = process.env.BENCH_TORCH !== '0';
const only = process.env.BENCH_MODELS?.split(',').filter(Boolean);

// The exporter's environment: with PyPI unreachable (or no Python 3), say why and exit 0.
const requirements = join(tools, torch ? 'requirements-torch.txt' : 'requirements.txt');
const env = pythonEnv(torch ? 'realworld-torch' : 'realworld', { requirements }, log);
if ('unavailable' in env) {
  log(`no Python environment for the exporters (${env.unavailable}): nothing measured`);
  process.exit(0);
}

// The suite, exported once per exporter version and environment.
const hash = createHash('sha256').update(readFileSync(join(tools, 'export.py'))).update(readFileSync(requirements)).digest('hex').slice(0, 12);
const suite = join(cacheDir(), 'realworld', `${torch ? 'torch' : 'notorch'}-${hash}`);
if (!existsSync(join(suite, 'failed.json'))) {
  log(`exporting the suite into ${suite}`);
  rmSync(suite, { recursive: true, force: true });
  const r = spawnSync('nice', ['-n', '10', env.python, join(tools, 'export.py'), suite], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`export.py exited with ${r.status ?? r.signal}`);
}
const notExported = Object.fromEntries(Object.entries(JSON.parse(readFileSync(join(suite, 'failed.json'), 'utf8')) as Record<string, { source: string; error: string }>)
  .filter(([name]) => !only || only.includes(name)));
const names = readdirSync(suite, { withFileTypes: true }).filter((d) => d.isDirectory() && (!only || only.includes(d.name))).map((d) => d.name).sort();

type Row = { name: string; meta: Meta; outcome: Outcome; result?: RealworldResult; seconds: number; detail?: string };
type Outcome = 'matched' | 'mismatch' | 'refused' | 'crashed' | 'timed out';

/** One model in its own process group, killed (with the native prover under it) at the time limit. */
function runOne(dir: string): Promise<{ result?: RealworldResult; timedOut: boolean; stderr: string; code: number | null }> {
  const scratch = mkdtempSync(join(tmpdir(), 'verity-realworld-'));
  return new Promise((resolve) => {
    const child = spawn('nice', ['-n', '10', process.execPath, '--import', 'tsx', join(import.meta.dirname, 'bench', 'realworld-model.ts'), dir, scratch], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, TIMEOUT_S * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      const line = stdout.trim().split('\n').pop();
      let result: RealworldResult | undefined;
      try { result = line ? JSON.parse(line) : undefined; } catch { /* not a result line */ }
      resolve({ result, timedOut, stderr, code });
    });
  });
}

const rows: Row[] = [];
const load0 = loadavg()[0]!;
const t0 = performance.now();
for (const [i, name] of names.entries()) {
  const dir = join(suite, name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  const s = performance.now();
  const { result, timedOut, stderr, code } = await runOne(dir);
  const seconds = (performance.now() - s) / 1000;
  const outcome: Outcome = timedOut ? 'timed out'
    : !result ? 'crashed'
      : result.error && !result.error.typed ? 'crashed'
        : result.error ? 'refused'
          : result.matched ? 'matched' : 'mismatch';
  const detail = timedOut ? `killed after ${TIMEOUT_S} s (stage ${result?.stage ?? 'compile'})`
    : !result ? `exit ${code}: ${stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? ''}`.slice(0, 200)
      : result.error ? `${result.error.name} at ${result.error.at}: ${result.error.message}`
        : result.proved0 ? `proved ${fmt(result.proved0.got)} vs onnxruntime ${fmt(result.proved0.want)}` : undefined;
  rows.push({ name, meta, outcome, result, seconds, detail });
  log(`${i + 1}/${names.length} ${name} (${meta.source}): ${outcome} in ${seconds.toFixed(1)} s${detail ? ` — ${detail}` : ''}`);
}
const totalMin = (performance.now() - t0) / 60_000;
const load1 = loadavg()[0]!;

function fmt(xs: readonly number[]): string {
  const shown = xs.slice(0, 4).map((v) => Number(v.toPrecision(4)));
  return `[${shown.join(', ')}${xs.length > 4 ? `, … (${xs.length})` : ''}]`;
}

// The section: per-source counts, the refusals grouped by error, and every model's row.
const sources = [...new Set([...rows.map((r) => r.meta.source), ...Object.values(notExported).map((f) => f.source)])].sort();
const count = (rs: Row[], o: Outcome) => rs.filter((r) => r.outcome === o).length;
const pct = (a: number, b: number) => (b === 0 ? '-' : `${Math.round((100 * a) / b)}%`);
const all = rows.length;
const failedExports = Object.keys(notExported).length;
const matched = count(rows, 'matched');
const everyRow = rows.filter((r) => r.outcome === 'matched' && r.result?.heldOut && r.result.heldOut.matched === r.result.heldOut.rows).length;
const section = [
  '## Real-world models',
  '',
  `\`npm run bench:realworld\` (${only ? `BENCH_MODELS=${only.join(',')}` : 'the whole suite'}${torch ? '' : ', BENCH_TORCH=0'}, BENCH_TIMEOUT=${TIMEOUT_S}): ` +
    `${all + failedExports} models trained by tools/realworld/export.py (scikit-learn datasets, fixed seeds) and exported by their owners' converters ` +
    `(${failedExports} of them fail in the converter itself and are listed apart: there is no ONNX file to compile); each of the ${all} ONNX files is compiled with the default r1cs backend ` +
    '(Groth16 setup, 16-bit inputs, 256 training rows as calibration), proved on its first held-out row, verified, and compared with onnxruntime: the same label for classifiers, ' +
    'otherwise every value within 1% of the output\'s largest magnitude on the held-out rows. Each model runs in its own process under `nice -n 10`, killed at the time limit. ' +
    `Total ${totalMin.toFixed(1)} min; load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end (2 cores shared with other work).`,
  '',
  `**${matched} of ${all} exported models (${pct(matched, all)}) compile, prove, verify and match onnxruntime** (target: >= 90%). ` +
    `Stricter: ${everyRow} of ${all} (${pct(everyRow, all)}) also match on every one of their held-out rows through the quantised program ` +
    '(what the circuit computes; one row is proved), the last column of the table below.',
  '',
  '| source | ONNX files | not exported (converter failed) | compiled | proved | matched | mismatch | refused (typed) | crashed | timed out |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...[...sources, 'all'].map((src) => {
    const rs = src === 'all' ? rows : rows.filter((r) => r.meta.source === src);
    const ne = Object.values(notExported).filter((f) => src === 'all' || f.source === src).length;
    return `| ${src} | ${rs.length} | ${ne} | ${rs.filter((r) => r.result?.compiled).length} | ${rs.filter((r) => r.result?.proved).length} | ${count(rs, 'matched')} (${pct(count(rs, 'matched'), rs.length)}) | ${count(rs, 'mismatch')} | ${count(rs, 'refused')} | ${count(rs, 'crashed')} | ${count(rs, 'timed out')} |`;
  }),
  '',
  'Why the others fail, grouped (refusals by error class; crashes and time-outs by where):',
  '',
  '| reason | models |',
  '|---|---|',
  ...group(rows.filter((r) => r.outcome !== 'matched').map((r) => [reasonOf(r), r.name] as const)),
  ...group(Object.entries(notExported).map(([name, f]) => [`not exported: ${f.error.slice(0, 120)}`, name] as const)),
  '',
  '| model | source | estimator | outcome | constraints | compile s | prove s | held-out rows matched (quantised program) | detail |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.meta.source} | ${r.meta.estimator} | ${r.outcome} | ${r.result?.constraints ?? '-'} | ${r.result?.compileMs !== undefined ? (r.result.compileMs / 1000).toFixed(1) : '-'} | ${r.result?.proveMs !== undefined ? (r.result.proveMs / 1000).toFixed(1) : '-'} | ${r.result?.heldOut ? `${r.result.heldOut.matched}/${r.result.heldOut.rows}` : '-'} | ${(r.detail ?? '').replaceAll('|', '\\|')} |`),
  '',
];

/** A failure's group: the error class and the first words of its message, or the outcome. */
function reasonOf(r: Row): string {
  const e = r.result?.error;
  if (r.outcome === 'timed out') return `timed out (${TIMEOUT_S} s) at ${r.result?.stage ?? 'compile'}`;
  if (r.outcome === 'mismatch') return 'mismatch: proved and verified, but outside 1% / another label';
  if (!e) return `crashed: ${(r.detail ?? '').slice(0, 100)}`;
  // The message up to its first quote or colon after the class: what differs per model is dropped.
  const gist = e.message.replace(/"[^"]*"/g, '"…"').replace(/\d+(\.\d+)?/g, 'N').slice(0, 110);
  return `${r.outcome === 'crashed' ? 'crashed' : 'refused'} at ${e.at}: ${e.name}: ${gist}`;
}

function group(pairs: (readonly [string, string])[]): string[] {
  const by = new Map<string, string[]>();
  for (const [reason, name] of pairs) by.set(reason, [...(by.get(reason) ?? []), name]);
  return [...by].sort((a, b) => b[1].length - a[1].length).map(([reason, ns]) => `| ${reason.replaceAll('|', '\\|')} | ${ns.length}: ${ns.join(', ')} |`);
}

mkdirSync(join(cacheDir(), 'realworld'), { recursive: true });
writeFileSync(join(cacheDir(), 'realworld', 'last-run.json'), JSON.stringify({ rows, notExported }, null, 1));
if (only) console.log(section.join('\n'));
else writeBenchSection('## Real-world models', section);
