// npm run bench:r1cs: the r1cs backend (packages/zkml/src/r1cs) on the benchmark models, in one
// process each after the other: constraints, time to build the constraint system and write
// circuit.r1cs, time to compute one witness (.wtns bytes), and the process's resident peak.
// Prints the rows of BENCHMARKS.md's "r1cs backend" table; the circom figures there come from
// `npm run bench` and `npm run bench:scale` (same models, same quantisation).
// BENCH_MODELS=mlp,lenet,cnn263k,cnn499k (default mlp,lenet). Then every example model in
// models/ compiled by both backends (`compileModel`, no setup: the constraint system and, for
// circom, its witness wasm), unless BENCH_EXAMPLES=0. Between them, mlp and lenet compiled with
// --tolerance BENCH_TOLERANCE (percent, default 1; 0 skips).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildConstraints, compileModel, describePrecision, computeValues, constraintParts, dequantizeOutput, importGraph, inferFloat, inferQuantized, r1csFile, relativeError, wtnsFile, loadOnnx, quantize, quantizeInput, readSamplesFile, releaseCurves, type NodePrecision } from '@verity/zkml';
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
  let bytes = 0;
  for (const b of r1csFile(system.store, system.labels, eliminated, shape)) bytes += b.length;
  const write = (performance.now() - t) / 1000;
  t = performance.now();
  wtnsFile(computeValues(model, 'committed', quantizeInput(model, samples[0]!), 0n).values, eliminated);
  const witness = (performance.now() - t) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`| ${label} | ${system.store.count.toLocaleString('en')} | ${(system.labels - eliminated.length).toLocaleString('en')} | ${build.toFixed(1)} | ${write.toFixed(1)} (${(bytes / 1e6).toFixed(1)}) | ${witness.toFixed(2)} | ${rss.toFixed(0)} |`);
  for (const p of constraintParts(model, 'committed')) parts.push(`| ${label} | ${p.part} | ${p.constraints.toLocaleString('en')} |`);
}
console.log(['\nConstraints per part (`constraintParts`):\n', '| model | part | constraints |', '|---|---|---|', ...parts].join('\n'));

// `verity compile --tolerance`: the same models at the cheapest widths within the tolerance on
// the 16 calibration images (compileModel, no setup), against the default widths; the error on
// 64 held-out images of the same kind, against the float model, and top-1 agreement there.
const tolerance = Number(process.env.BENCH_TOLERANCE ?? '1');
if (tolerance > 0) {
  console.log(`\n\`--tolerance ${tolerance}\` (compileModel, no setup): the default widths (12-bit weights, 16-bit activations) against the chosen ones.\n`);
  console.log('| model | constraints, default widths | constraints, --tolerance | widths chosen | trials, search s | error on calibration (16) | error held out (64), default widths | error held out (64), chosen | top-1 held out, default / chosen |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const scratch = mkdtempSync(join(tmpdir(), 'verity-bench-tolerance-'));
  const heldOut = imageSamples(64, 99);
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  for (const key of keys.filter((k) => k === 'mlp' || k === 'lenet')) {
    const [label, build] = MODELS[key]!;
    const onnx = build();
    const calibration = imageSamples(16);
    const plain = await compileModel(onnx, { out: join(scratch, `${key}-plain`), calibration, setup: false });
    const t = performance.now();
    const tuned = await compileModel(onnx, { out: join(scratch, `${key}-tuned`), calibration, setup: false, tolerance: tolerance / 100 });
    const seconds = (performance.now() - t) / 1000;
    const p = tuned.precision!;
    const imported = importGraph(loadOnnx(onnx));
    const want = heldOut.map((x) => inferFloat(imported, x));
    const run = (weightBits: number, activationBits: number, nodes?: NodePrecision) => {
      const m = quantize(imported, { calibration, weightBits, activationBits, ...(nodes ? { nodes } : {}) });
      return heldOut.map((x) => dequantizeOutput(m, inferQuantized(m, quantizeInput(m, x))));
    };
    const base = run(12, 16), got = run(p.weightBits, p.activationBits, p.nodes);
    const argmax = (r: readonly number[]) => r.indexOf(Math.max(...r));
    const top1 = (rows: number[][]) => `${rows.filter((r, i) => argmax(r) === argmax(want[i]!)).length} of ${heldOut.length}`;
    console.log(`| ${label} | ${plain.constraints.toLocaleString('en')} | ${tuned.constraints.toLocaleString('en')} | ${describePrecision(p)} | ${p.trials.length}, ${seconds.toFixed(1)} | ${pct(p.calibrationError)} | ${pct(relativeError(want, base))} | ${pct(relativeError(want, got))} | ${top1(base)} / ${top1(got)} |`);
  }
  rmSync(scratch, { recursive: true, force: true });
}

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
