// npm run bench: measures the demo model and a 784-56-10 MLP, each against the usual
// weights-as-private-signals circom encoding in the same run, and writes BENCHMARKS.md.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi } from 'viem';
import { deploy } from '@verity/sdk';
import {
  buildMlpOnnx, compileModel, importGraph, inferFloat, loadOnnx, Prover, readSamplesFile, releaseCurves, devPowersOfTau,
  type CompileReport, type DenseSpec, type VerifierBuild,
} from '@verity/zkml';
import { SPAM_MODEL_PATH } from '@verity/models/spam';
import { startAnvil } from '../packages/cli/src/anvil.js';
import { anvilKey, connect } from '../packages/cli/src/chain.js';
import { dev } from '../packages/cli/src/dev.js';
import { measureVerifyGas } from '../packages/cli/src/models.js';

const RUNS = 15;
const work = mkdtempSync(join(tmpdir(), 'verity-bench-'));
const log = (s: string) => console.error(`[bench] ${s}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** 784-56-10 with seeded He-initialised weights: a cost benchmark (no MNIST ships on npm here). */
function mnistSizedMlp(): { onnx: Uint8Array; samples: number[][] } {
  const r = seeded(2024);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const layer = (out: number, inp: number, relu: boolean): DenseSpec => ({
    weights: Array.from({ length: out }, () => Array.from({ length: inp }, () => gauss() * Math.sqrt(2 / inp))),
    bias: Array.from({ length: out }, () => gauss() * 0.01),
    relu,
  });
  const samples = Array.from({ length: 16 }, () => Array.from({ length: 784 }, () => (r() < 0.8 ? 0 : r())));
  return { onnx: buildMlpOnnx({ inputSize: 784, layers: [layer(56, 784, true), layer(10, 56, false)] }), samples };
}

type Row = {
  model: string;
  encoding: string;
  report: CompileReport;
  compileS: number;
  setupS?: number;
  witnessMs?: number;
  proveMs?: number;
  floatUs: number;
  verifyGas?: bigint;
  note?: string;
  /** the warm prover timeProving loaded, reused for the gas measurement */
  prover?: Prover;
};

async function measure(name: string, encoding: 'constant' | 'signals', onnx: Uint8Array, calibration: number[][], opts: { setup: boolean }): Promise<Row> {
  log(`${name} (${encoding}): compile${opts.setup ? ' + setup' : ''}`);
  const out = join(work, `${name}-${encoding}`);
  const report = await compileModel(onnx, { out, calibration, weights: encoding, setup: opts.setup });
  const imported = importGraph(loadOnnx(onnx));
  const x = calibration[0]!;
  const reps = 20_000;
  const f0 = performance.now();
  for (let i = 0; i < reps; i++) inferFloat(imported, x);
  const floatUs = ((performance.now() - f0) * 1000) / reps;
  const row: Row = { model: name, encoding, report, compileS: report.timings.compileSeconds, floatUs };
  if (!opts.setup) {
    row.note = `setup not run: needs powers of tau 2^${report.setup.ptauPower}, which the local ceremony makes too slowly on this machine (see FIELD-NOTES)`;
    return row;
  }
  row.setupS = report.timings.setupSeconds;
  return row;
}

/**
 * Warm proving time of several compiled models, interleaved run by run so that both sides
 * of a comparison see the same machine load; medians of RUNS after one warm-up proof each.
 */
async function timeProving(rows: Row[], samples: number[][]): Promise<void> {
  const measured = rows.filter((r) => r.setupS !== undefined);
  const provers = await Promise.all(measured.map((r) => Prover.load(join(work, `${r.model}-${r.encoding}`))));
  for (const p of provers) await p.prove({ input: samples[0]! }, 1n);
  const times = measured.map(() => ({ w: [] as number[], p: [] as number[] }));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, prover] of provers.entries()) {
      const r = await prover.prove({ input: samples[i % samples.length]! }, BigInt(i + 2));
      times[k]!.w.push(r.timings!.witnessMs);
      times[k]!.p.push(r.timings!.proveMs);
    }
  }
  measured.forEach((row, k) => { row.witnessMs = median(times[k]!.w); row.proveMs = median(times[k]!.p); row.prover = provers[k]; });
}

async function verifyGas(rpcUrl: string, rows: Row[]) {
  const { publicClient, wallet } = await connect(rpcUrl);
  const user = wallet(anvilKey(5));
  for (const row of rows) {
    const prover = row.prover;
    if (!prover) continue;
    const build = JSON.parse(readFileSync(prover.compiled.path('verifierBuild'), 'utf8')) as VerifierBuild;
    const { address } = await deploy(publicClient, user, { abi: build.abi as Abi, bytecode: build.bytecode });
    const zero = 1n << BigInt(prover.compiled.model.inputBits - 1); // offset encoding of 0.0
    const file = await prover.prove({ encoded: Array(prover.compiled.report.layout.inputCount).fill(zero) }, 5n);
    row.verifyGas = await measureVerifyGas(publicClient, user, { verifier: address, build, proof: file.proof, publicSignals: file.publicSignals });
  }
}

const started = new Date();
const spamOnnx = readFileSync(SPAM_MODEL_PATH);
const spamCalibration = readSamplesFile(readFileSync(SPAM_MODEL_PATH.replace('spam.onnx', 'calibration.json'), 'utf8'));
const mlp = mnistSizedMlp();
await devPowersOfTau(14, (e) => log(e.phase)); // cached after the first run

const spamRows = [
  await measure('spam 64-16-2 (demo)', 'constant', spamOnnx, spamCalibration, { setup: true }),
  await measure('spam 64-16-2 (demo)', 'signals', spamOnnx, spamCalibration, { setup: true }),
];
await timeProving(spamRows, spamCalibration);
const mlpRows = [
  await measure('MLP 784-56-10', 'constant', mlp.onnx, mlp.samples, { setup: true }),
  await measure('MLP 784-56-10', 'signals', mlp.onnx, mlp.samples, { setup: false }),
];
await timeProving(mlpRows, mlp.samples);
const rows = [...spamRows, ...mlpRows];

log('anvil: verification gas and request-to-callback latency');
const anvil = await startAnvil();
let demo: Awaited<ReturnType<typeof dev>>['results'] = [];
try {
  await verifyGas(anvil.rpcUrl, rows);
  demo = (await dev({ once: true, rpc: anvil.rpcUrl, out: () => {} })).results;
} finally {
  await anvil.stop();
}
await releaseCurves();

const peakMb = process.resourceUsage().maxRSS / 1024;
const fmt = (v: number | undefined, d = 0) => (v === undefined ? '—' : v.toFixed(d));
const layers = (r: CompileReport) => Object.entries(r.constraintsByPart).filter(([k]) => k.startsWith('layer:')).reduce((a, [, v]) => a + v, 0);
const lines: string[] = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` (scripts/bench.ts) on ${started.toISOString().slice(0, 10)}.`,
  '',
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. Groth16 (snarkjs 0.7, BN254), circom2 (WebAssembly) with --O2.`,
  '',
  'Warm figures are medians of ' + RUNS + ' proofs in one long-running process after a warm-up proof; the two encodings of a model are timed alternately, run by run, so both see the same load. Verification gas is the `gasUsed` of a transaction sent straight to the verifier with a valid proof (21,000 intrinsic gas and calldata included), on anvil. "Weights as signals" is the usual circom zkML encoding (weights as private witness values, one constraint per multiplication), built from the same quantised model in the same run.',
  '',
  '## Proving cost',
  '',
  '| model | weights | constraints | of which layers | input commitment | public signals | compile s | setup s | witness ms | prove ms | float inference µs | prove / float | verify gas |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.model} | ${r.encoding === 'constant' ? 'constants (Verity)' : 'signals (baseline)'} | ${r.report.constraints} | ${layers(r.report)} | ${r.report.constraintsByPart.inputCommitment} | ${r.report.layout.publicSignals} | ${fmt(r.compileS, 1)} | ${fmt(r.setupS, 1)} | ${fmt(r.witnessMs)} | ${fmt(r.proveMs)} | ${fmt(r.floatUs, 1)} | ${r.proveMs !== undefined ? fmt(((r.witnessMs! + r.proveMs) * 1000) / r.floatUs) : '—'} | ${r.verifyGas ?? '—'} |`),
  '',
  ...rows.filter((r) => r.note).map((r) => `- ${r.model}, ${r.encoding}: ${r.note}.`),
  '',
  '## Verity encoding against the baseline (same run)',
  '',
  '| model | constraints: baseline / Verity | layer constraints: baseline / Verity | prove ms: baseline / Verity |',
  '|---|---|---|---|',
  ...[...new Set(rows.map((r) => r.model))].map((m) => {
    const v = rows.find((r) => r.model === m && r.encoding === 'constant')!;
    const b = rows.find((r) => r.model === m && r.encoding === 'signals')!;
    const pr = b.proveMs !== undefined ? `${((b.witnessMs! + b.proveMs) / (v.witnessMs! + v.proveMs!)).toFixed(2)}x` : '—';
    return `| ${m} | ${(b.report.constraints / v.report.constraints).toFixed(2)}x | ${(layers(b.report) / layers(v.report)).toFixed(2)}x | ${pr} |`;
  }),
  '',
  '## End to end on anvil (demo: `verity dev --once` flow)',
  '',
  '| e-mail | label | answer | prove ms (node) | fulfil gas | verify gas | request to callback ms |',
  '|---|---|---|---|---|---|---|',
  ...demo.map((d) => `| ${d.subject.slice(0, 40).replace(/\|/g, '/')} | ${d.expectedSpam ? 'spam' : 'ham'} | ${d.answeredSpam ? 'spam' : 'ham'} | ${d.proveMs.toFixed(0)} | ${d.fulfilGas} | ${d.verifyGas} | ${d.latencyMs.toFixed(0)} |`),
  '',
  `Fulfil gas covers the proof check, payments, output decoding and the consumer's callback. The first demo request includes the node's first proof (curve threads start).`,
  '',
  `Peak memory of the benchmark process: ${peakMb.toFixed(0)} MB.`,
  '',
  'Notes:',
  '- The 784-56-10 MLP has seeded random weights: no MNIST data ships in an npm package here, and its cost does not depend on the weights.',
  '- Every setup above is the insecure single-party dev setup (powers of tau generated on this machine).',
  '',
];
writeFileSync('BENCHMARKS.md', lines.join('\n'));
rmSync(work, { recursive: true, force: true });
console.log(lines.join('\n'));
process.exit(0);
