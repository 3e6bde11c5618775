// npm run bench:r1cs: the r1cs backend (packages/zkml/src/r1cs) on the benchmark models, in one
// process each after the other: constraints, time to build the constraint system and write
// circuit.r1cs, time to compute one witness (.wtns bytes), and the process's resident peak.
// Prints the rows of BENCHMARKS.md's "r1cs backend" table; the circom figures there come from
// `npm run bench` and `npm run bench:scale` (same models, same quantisation).
// BENCH_MODELS=mlp,lenet,cnn263k,cnn499k (default mlp,lenet). Then every example model in
// models/ compiled by both backends (`compileModel`, no setup: the constraint system and, for
// circom, its witness wasm), unless BENCH_EXAMPLES=0.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildConstraints, compileModel, computeValues, constraintParts, importGraph, r1csFile, wtnsFile, loadOnnx, quantize, quantizeInput, readSamplesFile, releaseCurves } from '@verity/zkml';
import { imageSamples, largeCnn, lenet5, mnistMlp } from './bench/models.js';

const MODELS: Record<string, [string, () => Uint8Array]> = {
  mlp: ['MNIST-sized MLP 784-56-10', mnistMlp],
  lenet: ['LeNet-5-class CNN (1x28x28)', lenet5],
  cnn263k: ['CNN 1x28x28, BENCH_CNN=6,8', () => largeCnn(6, 8)],
  cnn499k: ['CNN 1x28x28, conv 12 and 16', () => largeCnn(12, 16)],
};
const keys = process.env.BENCH_MODELS?.split(',') ?? ['mlp', 'lenet'];
console.log(`Run ${new Date().toISOString()} on ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, \`npm run bench:r1cs\` (BENCH_MODELS=${keys.join(',')}).\n`);
console.log('| model | constraints | wires | build s | write circuit.r1cs s (MB) | witness s | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|');
const parts: string[] = [];
for (const key of keys) {
  const [label, onnx] = MODELS[key]!;
  const samples = imageSamples(16);
  const model = quantize(importGraph(loadOnnx(onnx())), { calibration: samples });
  let t = performance.now();
  const { system, eliminated, shape } = buildConstraints(model, 'committed');
  const build = (performance.now() - t) / 1000;
  t = performance.now();
  const bytes = r1csFile(system.constraints, system.labels, eliminated, shape).reduce((a, b) => a + b.length, 0);
  const write = (performance.now() - t) / 1000;
  t = performance.now();
  wtnsFile(computeValues(model, 'committed', quantizeInput(model, samples[0]!), 0n).values, eliminated);
  const witness = (performance.now() - t) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`| ${label} | ${system.constraints.length.toLocaleString('en')} | ${(system.labels - eliminated.length).toLocaleString('en')} | ${build.toFixed(1)} | ${write.toFixed(1)} (${(bytes / 1e6).toFixed(1)}) | ${witness.toFixed(2)} | ${rss.toFixed(0)} |`);
  for (const p of constraintParts(model, 'committed')) parts.push(`| ${label} | ${p.part} | ${p.constraints.toLocaleString('en')} |`);
}
console.log(['\nConstraints per part (`constraintParts`):\n', '| model | part | constraints |', '|---|---|---|', ...parts].join('\n'));

if (process.env.BENCH_EXAMPLES !== '0') {
  console.log('\n| example model | constraints (r1cs) | constraints (circom) | compile s, r1cs | compile s, circom |');
  console.log('|---|---|---|---|---|');
  const scratch = mkdtempSync(join(tmpdir(), 'verity-bench-r1cs-'));
  const root = join(import.meta.dirname, '..', 'models');
  for (const name of ['spam', 'credit', 'fraud', 'signal']) {
    const onnx = readFileSync(join(root, name, `${name}.onnx`));
    const calibration = readSamplesFile(readFileSync(join(root, name, 'calibration.json'), 'utf8'));
    const run = async (backend: 'r1cs' | 'circom') => {
      const t = performance.now();
      const report = await compileModel(onnx, { out: join(scratch, `${name}-${backend}`), calibration, setup: false, backend });
      return { constraints: report.constraints, seconds: (performance.now() - t) / 1000 };
    };
    const r = await run('r1cs'), c = await run('circom');
    console.log(`| ${name} (models/${name}) | ${r.constraints.toLocaleString('en')} | ${c.constraints.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${c.seconds.toFixed(1)} |`);
  }
  rmSync(scratch, { recursive: true, force: true });
  await releaseCurves();
}
