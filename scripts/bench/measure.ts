// One benchmark model in its own process (so peak memory is this model's): compile, set up,
// prove warm RUNS times. Prints one JSON line. Usage: measure.ts <model key> <out dir>.
import { readFileSync } from 'node:fs';
import { bigintReviver, compileModel, importGraph, inferFloat, loadOnnx, programConstraints, Prover, readSamplesFile, releaseCurves, type QuantizedModel } from '@verity/zkml';
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

const report = await compileModel(spec.onnx, { out, calibration: spec.samples, ...spec.opts, progress: (e) => console.error(`[${key}] ${e.phase}${e.percent !== undefined ? ` ${e.percent}%` : ''}`) });
const model = JSON.parse(readFileSync(`${out}/model.json`, 'utf8'), bigintReviver) as QuantizedModel;
const batch = report.batch.size;
const input = (i: number) => Array.from({ length: batch }, (_, j) => spec.samples[(i * batch + j) % spec.samples.length]!).flat();

const prover = await Prover.load(out);
await prover.prove({ input: input(0) }, 1n);
const w: number[] = [], p: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await prover.prove({ input: input(i + 1) }, BigInt(i + 2));
  w.push(r.timings!.witnessMs);
  p.push(r.timings!.proveMs);
}
const imported = importGraph(loadOnnx(spec.onnx));
const reps = key === 'cnn-large' ? 20 : 2_000;
const f0 = performance.now();
for (let i = 0; i < reps; i++) inferFloat(imported, spec.samples[0]!);
const floatUs = ((performance.now() - f0) * 1000) / reps;
await releaseCurves();
const baselineConstraints = report.constraints - programConstraints(model.steps, false) + programConstraints(model.steps, true);
console.log(JSON.stringify({ key, report, witnessMs: median(w), proveMs: median(p), floatUs, peakMb: process.resourceUsage().maxRSS / 1024, baselineConstraints, backend: prover.backend.name }));
process.exit(0);
