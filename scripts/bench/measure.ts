// One benchmark model in its own process (so peak memory is this model's): compile, set up,
// prove warm RUNS times, and check the last proof with snarkjs. Prints one JSON line, with
// `marks`: when each progress phase was first seen (ms from the start) and the CPU seconds
// used by then (this process and its exited children: the native setup's processes).
// Usage: measure.ts <model key> <out dir>.
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { bigintReviver, compileModel, importGraph, inferFloat, loadOnnx, NativeProver, programConstraints, Prover, readSamplesFile, releaseCurves, type ProofFile, type QuantizedModel } from '@verity/zkml';
import { SPAM_MODEL_PATH } from '@verity/models/spam';
import { forest, imageSamples, largeCnn, lenet5, linearModel, mnistMlp } from './models.js';

export type ModelKey = 'spam' | 'spam-signals' | 'mlp' | 'lenet' | 'linear' | 'linear-signals' | 'spam-batch16' | 'forest' | 'cnn-large';
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const [key, out] = process.argv.slice(2) as [ModelKey, string];
const spamCalibration = () => readSamplesFile(readFileSync(SPAM_MODEL_PATH.replace('spam.onnx', 'calibration.json'), 'utf8'));
const spec = {
  'spam': () => ({ onnx: readFileSync(SPAM_MODEL_PATH), samples: spamCalibration(), opts: {} }),
  'spam-signals': () => ({ onnx: readFileSync(SPAM_MODEL_PATH), samples: spamCalibration(), opts: { weights: 'signals' as const } }),
  'spam-batch16': () => ({ onnx: readFileSync(SPAM_MODEL_PATH), samples: spamCalibration(), opts: { batch: 16 } }),
  'mlp': () => ({ onnx: mnistMlp(), samples: imageSamples(16), opts: {} }),
  'lenet': () => ({ onnx: lenet5(), samples: imageSamples(16), opts: {} }),
  'cnn-large': () => ({ onnx: largeCnn(...((process.env.BENCH_CNN ?? '12,16').split(',').map(Number) as [number, number])), samples: imageSamples(16), opts: {} }),
  'linear': () => ({ onnx: linearModel().onnx, samples: linearModel().samples, opts: {} }),
  'forest': () => ({ onnx: forest().onnx, samples: forest().samples, opts: { inputBits: 16 } }),
  'linear-signals': () => ({ onnx: linearModel().onnx, samples: linearModel().samples, opts: { weights: 'signals' as const } }),
}[key]();

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' '); // from field 3
  return (user + system) / 1e6 + (Number(stat[13]) + Number(stat[14])) / 100; // cutime, cstime in ticks
};
const marks: Record<string, { ms: number; cpu: number }> = {};
const report = await compileModel(spec.onnx, {
  out, calibration: spec.samples, ...spec.opts,
  progress: (e) => {
    marks[e.phase.split(':')[0]!] ??= { ms: performance.now(), cpu: cpuSeconds() };
    console.error(`[${key}] ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`);
  },
});
const model = JSON.parse(readFileSync(`${out}/model.json`, 'utf8'), bigintReviver) as QuantizedModel;
const batch = report.batch.size;
const input = (i: number) => Array.from({ length: batch }, (_, j) => spec.samples[(i * batch + j) % spec.samples.length]!).flat();

const prover = await Prover.load(out);
await prover.prove({ input: input(0) }, 1n);
const w: number[] = [], p: number[] = [];
let last!: ProofFile;
for (let i = 0; i < RUNS; i++) {
  last = await prover.prove({ input: input(i + 1) }, BigInt(i + 2));
  w.push(last.timings!.witnessMs);
  p.push(last.timings!.proveMs);
}
const snarkjsVerified = await snarkjs.groth16.verify(JSON.parse(readFileSync(`${out}/verification_key.json`, 'utf8')), last.publicSignals, last.proof);
const proverPeakMb = prover.backend instanceof NativeProver ? (await prover.backend.stats()).peakRssBytes / 2 ** 20 : 0;
const imported = importGraph(loadOnnx(spec.onnx));
const reps = key === 'cnn-large' ? 20 : 2_000;
const f0 = performance.now();
for (let i = 0; i < reps; i++) inferFloat(imported, spec.samples[0]!);
const floatUs = ((performance.now() - f0) * 1000) / reps;
await releaseCurves();
const baselineConstraints = report.constraints - programConstraints(model.steps, false) + programConstraints(model.steps, true);
console.log(JSON.stringify({ key, report, witnessMs: median(w), proveMs: median(p), floatUs, peakMb: process.resourceUsage().maxRSS / 1024, proverPeakMb, baselineConstraints, backend: prover.backend.name, snarkjsVerified, marks }));
process.exit(0);
