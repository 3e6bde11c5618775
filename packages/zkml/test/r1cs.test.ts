// The r1cs backend (src/r1cs): on every golden fixture (every step kind), the witness computed in
// TypeScript satisfies every constraint over the BN254 field, the program's signals equal the
// integer reference, the public signals equal what the Coprocessor checks, and no wire is left
// unconstrained. Soundness: changing any single wire of the witness breaks a constraint.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildOnnx, importGraph, inputCommitment, layoutOf, loadOnnx, quantize, quantizeInput, weightCommitment, weightValues, type QuantizedModel } from './exports.js';
import { buildConstraints, computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import type { Adversary } from '../src/r1cs/system.js';
import { pseudoRandom } from './fixtures.js';
import { checkModel } from './r1csCheck.js';
import { R1csWitnessGenerator } from '../src/prover/witness.js';
import { r1csWitness } from '../src/r1cs/witness.js';
import { RangeOverflowError } from '../src/errors/compile.js';

const golden = join(import.meta.dirname, 'golden');
const FIXTURES = readdirSync(golden).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();

function fixture(name: string): { model: QuantizedModel; inputs: number[][] } {
  const g = JSON.parse(readFileSync(join(golden, `${name}.json`), 'utf8')) as { inputs: number[][] };
  return { model: quantize(importGraph(loadOnnx(readFileSync(join(golden, `${name}.onnx`)))), { calibration: g.inputs }), inputs: g.inputs };
}

for (const name of FIXTURES) {
  test(`r1cs backend, golden ${name}: the witness satisfies every constraint, equals the integer program, every wire constrained and every single-wire change rejected`, async () => {
    const { model, inputs } = fixture(name);
    await checkModel(model, inputs[1] ?? inputs[0]!, 'committed', true);
  });
}

test('r1cs backend: public and private input visibility lay out the public signals as circom does', async () => {
  const { model, inputs } = fixture('gemm');
  for (const visibility of ['public', 'private'] as const) await checkModel(model, inputs[0]!, visibility, true);
});

test('r1cs backend, committed weights (golden gemm, conv2d_same, a random MLP): the weights are private inputs, the input commitment is seeded with the weight commitment, every wire constrained and every single-wire change rejected', async () => {
  for (const name of ['gemm', 'conv2d_same']) {
    const { model, inputs } = fixture(name);
    assert.ok(weightValues(model).steps.length > 0, `${name} has weighted steps`);
    await checkModel(model, inputs[0]!, 'committed', true, 'committed');
  }
  const { onnx, samples } = randomModel(5);
  await checkModel(quantize(importGraph(loadOnnx(onnx)), { calibration: samples }), samples[0]!, 'committed', true, 'committed');
});

test('r1cs backend, committed weights: a prover with a changed weight or constant satisfies the circuit only under another input commitment', async () => {
  const { model, inputs } = fixture('gemm');
  const layout = layoutOf(model, 'committed');
  const { system } = buildConstraints(model, 'committed', 'committed');
  const u = quantizeInput(model, inputs[0]!);
  const registered = await inputCommitment(layout, u, await weightCommitment(weightValues(model)));
  const st = weightValues(model).steps[0]!;
  for (const change of ['coefficient', 'constant'] as const) {
    const other = structuredClone(model);
    const step = other.steps[st.k]!;
    if (step.kind !== 'requant') throw new Error('unreachable');
    if (change === 'coefficient') step.forms[0]!.k[0]! += 1n; else step.forms[0]!.c += 1n;
    const { values } = computeValues(other, 'committed', u, 1n, undefined, 'committed');
    assert.deepEqual(brokenConstraints(system.constraints, values), [], `the circuit does not pin a ${change}: the commitment does`);
    assert.notEqual(values[1 + layout.outputWords], registered, `a changed ${change} gives another input commitment`);
  }
  const { values } = computeValues(model, 'committed', u, 1n, undefined, 'committed');
  assert.equal(values[1 + layout.outputWords], registered, 'the honest weights give the registered one');
});

/**
 * A random small model: 1-3 Gemm layers of random widths (ReLU between them at random), then a
 * random head (none, ReLU, Sigmoid, Tanh, Softmax or ArgMax), so the programs mix every step kind
 * the dense path lowers to.
 */
function randomModel(seed: number): { onnx: Uint8Array; samples: number[][] } {
  const r = pseudoRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(((r() + 1) / 2) * (hi - lo + 1));
  const inputs = int(2, 6);
  const widths = Array.from({ length: int(1, 3) }, () => int(1, 5));
  if (widths.at(-1)! < 2) widths[widths.length - 1] = 2;
  const nodes: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number> }[] = [];
  const initializers: Record<string, { dims: number[]; values: number[] }> = {};
  let current = 'x', fanIn = inputs;
  widths.forEach((w, i) => {
    initializers[`w${i}`] = { dims: [w, fanIn], values: Array.from({ length: w * fanIn }, () => r()) };
    initializers[`b${i}`] = { dims: [w], values: Array.from({ length: w }, () => r() * 0.3) };
    nodes.push({ op: 'Gemm', inputs: [current, `w${i}`, `b${i}`], outputs: [`g${i}`], attrs: { transB: 1 } });
    current = `g${i}`;
    if (i < widths.length - 1 && r() > -0.5) { nodes.push({ op: 'Relu', inputs: [current], outputs: [`r${i}`] }); current = `r${i}`; }
    fanIn = w;
  });
  const head = ['none', 'Relu', 'Sigmoid', 'Tanh', 'Softmax', 'ArgMax'][int(0, 5)]!;
  if (head !== 'none') nodes.push({ op: head, inputs: [current], outputs: ['y'], attrs: head === 'Softmax' || head === 'ArgMax' ? { axis: 1, ...(head === 'ArgMax' ? { keepdims: 0 } : {}) } : undefined });
  else nodes.at(-1)!.outputs = ['y'];
  const samples = Array.from({ length: 8 }, () => Array.from({ length: inputs }, r));
  return { onnx: buildOnnx({ input: { name: 'x', shape: ['batch', inputs] }, output: { name: 'y', shape: head === 'ArgMax' ? ['batch'] : ['batch', fanIn], int64: head === 'ArgMax' }, nodes, initializers }), samples };
}

for (let seed = 1; seed <= 12; seed++) {
  test(`r1cs backend, random model ${seed}: the honest witness is accepted, every single-wire change rejected, no wire unconstrained`, async () => {
    const { onnx, samples } = randomModel(seed);
    const model = quantize(importGraph(loadOnnx(onnx)), { calibration: samples });
    await checkModel(model, samples[seed % samples.length]!, (['committed', 'public', 'private'] as const)[seed % 3]!, true);
  });
}

// The same with non-negative calibration: inputs range-checked to 7 bits, ReLUs that are below
// zero for every input folded to 0 (test/constraints.test.ts has the attacks on both).
for (let seed = 13; seed <= 18; seed++) {
  test(`r1cs backend, random model ${seed} calibrated non-negative: the honest witness is accepted, every single-wire change rejected, no wire unconstrained`, async () => {
    const { onnx, samples } = randomModel(seed);
    const positive = samples.map((x) => x.map(Math.abs));
    const model = quantize(importGraph(loadOnnx(onnx)), { calibration: positive });
    assert.deepEqual(model.inputBounds, [1 << (model.inputBits - 1), (1 << model.inputBits) - 1]);
    await checkModel(model, positive[seed % positive.length]!, (['committed', 'public', 'private'] as const)[seed % 3]!, true);
  });
}

/**
 * A dishonest prover at each hint of a gadget, with the rest of the witness following its
 * choice (decompositions of what no longer fits keep their low bits): the classic attacks.
 */
const ATTACKS: Record<Parameters<Adversary>[0], { name: string; change: (honest: readonly bigint[]) => bigint[] | undefined }[]> = {
  div: [
    { name: 'quotient one less, remainder one divisor more', change: ([q, r, d]) => [q! - 1n, r! + d!] },
    { name: 'quotient one more, remainder one divisor less', change: ([q, r, d]) => [q! + 1n, r! - d!] },
  ],
  argmax: [{ name: 'a selector on another index', change: ([best, n]) => (n! > 1n ? [(best! + 1n) % n!] : undefined) }],
  iszero: [{ name: 'the output flipped (inverse to match)', change: ([out]) => (out === 1n ? [0n, 1n] : [1n, 0n]) }],
  rsqrt: [{ name: 'the root one more', change: ([r]) => [r! + 1n] }, { name: 'the root one less', change: ([r]) => (r! > 0n ? [r! - 1n] : undefined) }],
  pwl: [{ name: 'the decoder on another segment', change: ([seg, n]) => (n! > 1n ? [(seg! + 1n) % n!] : undefined) }],
};

for (const name of ['argmax', 'softmax', 'softmax_argmax', 'sigmoid', 'tanh', 'layer_norm', 'logic_where', 'hummingbird_gemm', 'tree_classifier']) {
  test(`r1cs backend, golden ${name}: a dishonest hint (remainder, selector, decoder, inverse, root) breaks a constraint`, () => {
    const { model, inputs } = fixture(name);
    const u = quantizeInput(model, inputs[1] ?? inputs[0]!);
    const { system } = buildConstraints(model, 'committed');
    const sites: { kind: Parameters<Adversary>[0]; where: string }[] = [];
    computeValues(model, 'committed', u, 1n, (kind, where, honest) => { sites.push({ kind, where }); return honest; });
    assert.ok(sites.length > 0, `${name} has a hinted gadget`);
    let attacked = 0;
    for (const site of sites.slice(0, 24)) {
      for (const attack of ATTACKS[site.kind]) {
        let applied = false;
        const { values } = computeValues(model, 'committed', u, 1n, (kind, where, honest) => {
          if (kind !== site.kind || where !== site.where) return honest;
          const changed = attack.change(honest);
          if (!changed) return honest;
          applied = true;
          return changed;
        });
        if (!applied) continue;
        attacked++;
        assert.notDeepEqual(brokenConstraints(system.constraints, values), [], `${site.kind} at ${site.where}: ${attack.name} was accepted`);
      }
    }
    assert.ok(attacked > 0);
  });
}

test('r1cs backend on its worker thread: the witness equals the one computed here, and one that overflows a range check is refused with RangeOverflowError', async () => {
  const { model, inputs } = fixture('gemm');
  const { eliminated, system } = buildConstraints(model, 'committed');
  const file = { version: 1 as const, labels: system.labels, eliminated };
  const generator = new R1csWitnessGenerator({ model, visibility: 'committed', eliminated: file, weights: 'constant' });
  try {
    const u = quantizeInput(model, inputs[0]!);
    assert.deepEqual(Buffer.from(await generator.calculate(u, 3n)), Buffer.from(r1csWitness(model, 'committed', file, u, 3n)));
    const over = [1n << BigInt(model.inputBits), ...u.slice(1)];
    await assert.rejects(generator.calculate(over, 3n), (e: unknown) => e instanceof RangeOverflowError && e.where === 'input 0' && e.bits === model.inputBits);
  } finally {
    await generator.close();
  }
});
