// npm run bench: a table over models (each compiled, set up and proved in its own process,
// so its peak memory is its own), verification gas on anvil, the Verity encoding against the
// weights-as-signals baseline, and the demo's end-to-end latency. Writes BENCHMARKS.md.
// Also the load benchmark (scripts/bench/load.ts): requests per minute held by 1 and 3 node
// processes, and by 1 node with 2 proving workers behind Redis.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadBench, loadSection } from './bench/load.js';
import { agreedBench, agreedSection, AGREED_SETUPS } from './bench/agreed.js';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi } from 'viem';
import { deploy } from '@verity/sdk';
import { devPowersOfTau, Prover, releaseCurves, type CompileReport, type VerifierBuild } from '@verity/zkml';
import { anvilKey, connect, measureVerifyGas, startAnvil } from '@verity/cli';
import { storyBench, storySection } from './bench/story.js';
import type { ModelKey } from './bench/measure.js';

const work = mkdtempSync(join(tmpdir(), 'verity-bench-'));
const log = (s: string) => console.error(`[bench] ${s}`);

type Row = { key: ModelKey; report: CompileReport; witnessMs: number; proveMs: number; floatUs: number; peakMb: number; baselineConstraints: number; verifyGas?: bigint; backend: string };

/** Runs scripts/bench/measure.ts for one model in a child process and returns its result line. */
function measure(key: ModelKey): Promise<Row> {
  log(`${key}: compile, setup, prove`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench', 'measure.ts'), key, join(work, key)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return fail(new Error(`bench ${key} exited with ${code}`));
      ok(JSON.parse(line) as Row);
    });
  });
}

async function verifyGas(rpcUrl: string, rows: Row[]) {
  const { publicClient, wallet } = await connect(rpcUrl);
  const user = wallet(anvilKey(5));
  for (const row of rows) {
    const prover = await Prover.load(join(work, row.key));
    const build = JSON.parse(readFileSync(prover.compiled.path('verifierBuild'), 'utf8')) as VerifierBuild;
    const { address } = await deploy(publicClient, user, { abi: build.abi as Abi, bytecode: build.bytecode });
    const zero = 1n << BigInt(prover.compiled.model.inputBits - 1); // offset encoding of 0.0
    const file = await prover.prove({ encoded: Array(prover.compiled.report.layout.inputCount).fill(zero) }, 5n);
    row.verifyGas = await measureVerifyGas(publicClient, user, { verifier: address, build, proof: file.proof, publicSignals: file.publicSignals });
  }
}

const started = new Date();
await devPowersOfTau(16, (e) => log(`${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`)); // cached after the first run
const keys: ModelKey[] = ((process.env.BENCH_MODELS?.split(',') as ModelKey[] | undefined) ?? ['spam', 'spam-signals', 'linear', 'linear-signals', 'mlp', 'lenet', 'forest', 'spam-batch16']);
const rows: Row[] = [];
for (const key of keys) rows.push(await measure(key));

log('anvil: verification gas and request-to-callback latency');
const anvil = await startAnvil();
try {
  await verifyGas(anvil.rpcUrl, rows);
} finally {
  await anvil.stop();
}
const story = await storyBench(log);
await releaseCurves();
log('load: 1 and 3 node processes, then 1 node + 2 proving workers, on anvil');
const load = [];
for (const [nodes, workers] of [[1, 0], [3, 0], [1, 2]] as const) load.push(await loadBench({ nodes, workers, perMin: 120, seconds: 60, log }));

const NAMES: Record<ModelKey, string> = {
  'spam': 'spam 64-16-2 (demo)', 'spam-signals': 'spam 64-16-2 (demo)', 'linear': 'linear regression, 32 features', 'linear-signals': 'linear regression, 32 features',
  'mlp': 'MNIST-sized MLP 784-56-10', 'forest': 'random forest, 16 trees of depth 5, 30 features, 3 classes (label)', 'lenet': 'LeNet-5-class CNN (1x28x28)', 'spam-batch16': 'spam 64-16-2, batch of 16', 'cnn-large': 'CNN, ~500k constraints (1x28x28)',
};
const fmt = (v: number | undefined, d = 0) => (v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const acc = (r: CompileReport) => {
  if (!r.accuracy) return '—';
  const err = r.accuracy.outputRange > 0 ? `${((100 * r.accuracy.maxAbsError) / r.accuracy.outputRange).toFixed(2)}%` : `${r.accuracy.maxAbsError} abs`;
  // A single output (a label) has no top-1: report exact agreement through the error instead.
  return r.outputShape.reduce((a, b) => a * b, 1) / r.batch.size > 1 ? `${err} / ${(100 * r.accuracy.top1Agreement).toFixed(1)}%` : `${err} / —`;
};
const verity = rows.filter((r) => !r.key.endsWith('-signals'));
const baseline = (r: Row) => rows.find((b) => b.key === `${r.key}-signals`);
const lines: string[] = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` (scripts/bench.ts) on ${started.toISOString().slice(0, 10)}.`,
  '',
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. Groth16 (BN254) by the ${[...new Set(rows.map((r) => r.backend))].join(' and ')} backend (native: native/verity-prover on arkworks, when npm install built it; snarkjs 0.7 in WebAssembly otherwise; "Native prover against snarkjs" compares the two), constraint systems by ${[...new Set(rows.map((r) => (r.report.backend === 'r1cs' ? 'the r1cs backend (the default: witnesses in TypeScript on a worker thread)' : 'circom2 --O2 (witnesses by its WebAssembly; the weights-as-signals baselines)')))].join(' and ')}. Insecure dev setup (powers of tau from a local secret; made once and cached).`,
  '',
  'Each model is compiled, set up and proved in its own process (scripts/bench/measure.ts): "prove" is the median of warm proofs (witness + Groth16) in that process after a warm-up proof; "peak MB" is that process\'s maximum resident set (compile, setup and proving). Accuracy is on the calibration inputs against onnxruntime-web: max absolute error as a share of the float output range / top-1 agreement. Verification gas is the `gasUsed` of a transaction sent straight to the verifier with a valid proof (21,000 intrinsic gas and calldata included), on anvil; "expected" is report.json\'s estimate before deployment. Weights are seeded (no MNIST ships on npm here; cost does not depend on the weight values).',
  '',
  '## Models',
  '',
  '| model | constraints | compile s | setup s | prove ms (warm) | peak MB | accuracy: error / top-1 | verify gas (expected) | gas per inference | baseline constraints (weights as signals) |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...verity.map((r) => {
    const b = baseline(r);
    const ratio = `${fmt(b ? b.report.constraints : r.baselineConstraints)} (${((b ? b.report.constraints : r.baselineConstraints) / r.report.constraints).toFixed(2)}x${b ? '' : ', counted'})`;
    const perInference = r.verifyGas !== undefined ? fmt(Number(r.verifyGas) / r.report.batch.size) : '—';
    return `| ${NAMES[r.key]} | ${fmt(r.report.constraints)} | ${fmt(r.report.timings.compileSeconds, 1)} | ${fmt(r.report.timings.setupSeconds, 1)} | ${fmt(r.witnessMs + r.proveMs)} | ${fmt(r.peakMb)} | ${acc(r.report)} | ${r.verifyGas ?? '—'} (${fmt(r.report.verifier?.expectedVerifyGas)}) | ${perInference} | ${ratio} |`;
  }),
  '',
  '"counted": the baseline\'s constraints follow from the quantised program (one extra constraint per weight multiplication); it was not compiled, because its setup would need a far larger powers of tau.',
  '',
  '## Verity encoding against the baseline, both measured (same run)',
  '',
  '| model | constraints: baseline / Verity | prove ms: baseline / Verity | peak MB: baseline / Verity |',
  '|---|---|---|---|',
  ...verity.filter((r) => baseline(r)).map((r) => {
    const b = baseline(r)!;
    return `| ${NAMES[r.key]} | ${(b.report.constraints / r.report.constraints).toFixed(2)}x | ${((b.witnessMs + b.proveMs) / (r.witnessMs + r.proveMs)).toFixed(2)}x | ${(b.peakMb / r.peakMb).toFixed(2)}x |`;
  }),
  '',
  '## Where the constraints go',
  '',
  ...verity.map((r) => `- ${NAMES[r.key]}: ${Object.entries(r.report.constraintsByPart).map(([k, v]) => `${k.replace(/^node:/, '')} ${fmt(v)}`).join(', ')}.`),
  '',
  ...storySection(story, 'npm run bench'),
];
lines.push(...loadSection(load, 'npm run bench'));
log('agreed mode: gas and time per request on anvil');
const agreedRows = [];
for (const setup of AGREED_SETUPS) agreedRows.push(await agreedBench({ ...setup, log }));
lines.push(...agreedSection(agreedRows, 'npm run bench'));
// The scale section (npm run bench:scale, an hour on a cold cache) and the native-against-snarkjs
// section (npm run bench:prove) are kept as they were.
let previous = '';
try { previous = readFileSync('BENCHMARKS.md', 'utf8'); } catch { /* first run */ }
for (const heading of ['## Scale', '## Native prover']) {
  const start = previous.indexOf(heading);
  const end = start < 0 ? -1 : previous.indexOf('\n## ', start + 1);
  if (start >= 0) lines.push(previous.slice(start, end < 0 ? undefined : end).trimEnd(), '');
}
writeFileSync('BENCHMARKS.md', lines.join('\n'));
rmSync(work, { recursive: true, force: true });
console.log(lines.join('\n'));
process.exit(0);
