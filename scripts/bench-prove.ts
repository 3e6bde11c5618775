// npm run bench:prove: the Groth16 step alone, native core against snarkjs, on the same keys
// and the same witness files, in one run. Each backend proves in its own process
// (scripts/bench/prove-backend.ts) so its peak memory is its own; every proof is verified with
// snarkjs. Replaces the "## Native prover" section of BENCHMARKS.md.
// BENCH_MODELS=mlp,lenet (default), BENCH_RUNS=5, VERITY_PROVER_THREADS caps the native threads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileCached, NativeProver, nativeProverBuilt, NATIVE_PROVER_BIN, Prover, releaseCurves } from '@verity/zkml';
import { imageSamples, lenet5, mnistMlp } from './bench/models.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:prove] ${s}`);
if (!nativeProverBuilt()) throw new Error(`the native prover is not built (${NATIVE_PROVER_BIN}): install cargo and run npm install`);
const MODELS = { mlp: ['MNIST-sized MLP 784-56-10', mnistMlp], lenet: ['LeNet-5-class CNN (1x28x28)', lenet5] } as const;
type Key = keyof typeof MODELS;
const keys = (process.env.BENCH_MODELS?.split(',') ?? ['mlp', 'lenet']) as Key[];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'verity-bench-prove-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const load0 = loadavg()[0]!;

type Measured = {
  backend: string; loadMs: number; times: number[]; endToEnd: { witnessMs: number; proveMs: number }[]; maxLoopDelayMs: number;
  nodePeakMb: number; nativePeakMb: number; threads?: number; last: { proof: unknown; publicSignals: string[] };
};
const rows: string[] = [];
const endToEndRows: string[] = [];
let firstZkey: string | undefined;
for (const key of keys) {
  const [name, onnx] = MODELS[key];
  log(`${key}: compile and set up (cached under the Verity cache directory)`);
  const { compiled } = await compileCached(`bench-${key}`, onnx(), { calibration: imageSamples(16), progress: (e) => log(`${key} ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`) });
  const prover = await Prover.load(compiled.dir, { backend: 'snarkjs' });
  firstZkey ??= compiled.path('zkey');
  const inputs = imageSamples(RUNS, 99);
  const files = inputs.map((_, i) => join(work, `${key}-${i}.wtns`));
  for (const [i, file] of files.entries()) await prover.prove({ input: inputs[i]! }, BigInt(i + 1), { witnessFile: file });
  const inputsFile = join(work, `${key}-inputs.json`);
  writeFileSync(inputsFile, JSON.stringify(inputs));
  const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
  const measured = {} as Record<'snarkjs' | 'native', Measured>;
  for (const backend of ['snarkjs', 'native'] as const) {
    log(`${key}: ${RUNS} warm proofs with ${backend}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench', 'prove-backend.ts'), backend, compiled.dir, inputsFile, ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${backend} exited with ${r.status}: ${r.stderr.slice(-2000)}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
    if (!(await snarkjs.groth16.verify(vk, m.last.publicSignals, m.last.proof))) throw new Error(`${key}: a ${backend} proof did not verify`);
    measured[backend] = m;
  }
  const [js, nat] = [measured.snarkjs, measured.native];
  rows.push(`| ${name} | ${fmt(compiled.report.constraints)} | ${fmt(median(js.times))} | ${fmt(median(nat.times))} | ${(median(js.times) / median(nat.times)).toFixed(1)}x | ${fmt(js.nodePeakMb)} | ${fmt(nat.nodePeakMb)} + ${fmt(nat.nativePeakMb)} | ${fmt(js.loadMs)} / ${fmt(nat.loadMs)} |`);
  const total = (m: Measured) => median(m.endToEnd.map((t) => t.witnessMs + t.proveMs));
  const part = (m: Measured, k: 'witnessMs' | 'proveMs') => fmt(median(m.endToEnd.map((t) => t[k])));
  endToEndRows.push(`| ${name} | ${fmt(total(js))} (${part(js, 'witnessMs')} + ${part(js, 'proveMs')}) | ${fmt(total(nat))} (${part(nat, 'witnessMs')} + ${part(nat, 'proveMs')}) | ${(total(js) / total(nat)).toFixed(1)}x | ${fmt(js.maxLoopDelayMs)} / ${fmt(nat.maxLoopDelayMs)} |`);
  writeFileSync(join(work, 'rows.md'), [...rows, '', ...endToEndRows].join('\n'));
}
await releaseCurves();

// What the child process costs against an addon: a request's round trip, empty and carrying a
// witness the size of the ~500k-constraint CNN's (16 MB; refused after it is read).
const native = await NativeProver.load(firstZkey!);
const roundTrip = async (payload?: Uint8Array) => {
  const ts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await (payload ? native.prove(payload).catch(() => {}) : native.stats());
    ts.push(performance.now() - s);
  }
  return median(ts);
};
const [emptyMs, bigMs] = [await roundTrip(), await roundTrip(new Uint8Array(16 << 20))];
await native.close();

writeBenchSection('## Native prover against snarkjs', [
  '## Native prover against snarkjs (`npm run bench:prove`)',
  '',
  `The Groth16 step alone (witness files computed once beforehand), on the same .zkey and the same ${RUNS} witnesses for both backends: median of ${RUNS} warm proofs after a warm-up proof, each backend in its own process; every proof verified with snarkjs; \`BENCH_RUNS=${RUNS} npm run bench:prove\`. Native: native/verity-prover (arkworks 0.6, ${JSON.stringify(process.env.VERITY_PROVER_THREADS ?? 'all')} threads) as a child process holding the key; snarkjs 0.7 with its default workers. Peak MB: the measuring Node process's peak resident set (VmHWM), plus the native prover process's. Load average at the start: ${load0.toFixed(1)} (the 2 cores are shared).`,
  '',
  '| model | constraints | snarkjs prove ms | native prove ms | speed-up | snarkjs peak MB | native peak MB (Node + prover) | key load ms: snarkjs / native |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `End to end as a node proves (\`Prover.prove\`: warm witness generator + Groth16), median of ${RUNS} after a warm-up, same processes:`,
  '',
  '| model | snarkjs ms (witness + proof) | native ms (witness + proof) | speed-up | longest event-loop stall ms: snarkjs / native |',
  '|---|---|---|---|---|',
  ...endToEndRows,
  '',
  `Protocol overhead of the child process (median of 20): an empty request ${emptyMs.toFixed(2)} ms, a request carrying 16 MB (a ~500k-wire witness) ${bigMs.toFixed(1)} ms.`,
]);
process.exit(0);
