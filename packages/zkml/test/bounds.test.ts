// Issue 17 item 5: accumulator bounds tighter than the box (lower/relax.ts). A requantisation's
// decomposition is sound at any width (it either proves the right floor and sign or cannot be
// satisfied), so what a narrower width must keep is completeness: every input in the box still
// has a witness. Checked exhaustively on a two-input network (every one of its 128 x 128
// inputs), on box corners of a small CNN with an average pool, and with the single-wire
// tamper check (the honest witness passes, any one changed wire breaks a constraint).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMlpOnnx, buildOnnx, constraintParts, dequantizeOutput, importGraph, inferFloat, inferQuantized, inputBounds, loadOnnx, quantize, quantizeInput, runProgram, type QuantizedModel } from './exports.js';
import { evalForm, roundingTerm, type IntForm } from '../src/lower/steps.js';
import { signedBits } from '../src/lower/context.js';
import { computeValues, buildConstraints } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import { pseudoRandom } from './fixtures.js';
import { checkModel } from './r1csCheck.js';

const r = pseudoRandom(41);
const dense = (rows: number, cols: number, relu: boolean) => ({ weights: Array.from({ length: rows }, () => Array.from({ length: cols }, r)), bias: Array.from({ length: rows }, () => r() * 0.1), relu });
/** 2-6-6-3 with ReLUs: the second layer's six ReLUs all read the same two inputs. */
const MLP = buildMlpOnnx({ inputSize: 2, layers: [dense(6, 2, true), dense(6, 6, true), dense(3, 6, false)] });
const mlpSamples = Array.from({ length: 16 }, () => [(r() + 1) / 2, (r() + 1) / 2]);

/** Conv 3x3 (4 filters, pad 1) -> AveragePool 2x2 -> Relu -> Conv 2x2 (3 filters) -> Relu -> Gemm 3-2 on 1x4x4, as LeNet orders them. */
function poolCnn(): Uint8Array {
  const g = pseudoRandom(44);
  const t = (dims: number[], scale: number) => ({ dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => g() * scale) });
  return buildOnnx({
    input: { name: 'x', shape: ['batch', 1, 4, 4] },
    output: { name: 'y', shape: ['batch', 2] },
    nodes: [
      { op: 'Conv', inputs: ['x', 'c.w', 'c.b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'AveragePool', inputs: ['c'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Relu', inputs: ['p'], outputs: ['r'] },
      { op: 'Conv', inputs: ['r', 'd.w', 'd.b'], outputs: ['d'], attrs: { kernel_shape: [2, 2] } },
      { op: 'Relu', inputs: ['d'], outputs: ['s'] },
      { op: 'Flatten', inputs: ['s'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'g.w', 'g.b'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: { 'c.w': t([4, 1, 3, 3], 0.6), 'c.b': t([4], 0.1), 'd.w': t([3, 4, 2, 2], 0.5), 'd.b': t([3], 0.1), 'g.w': t([2, 3], 0.5), 'g.b': t([2], 0.1) },
  });
}
const cnnSamples = Array.from({ length: 16 }, () => Array.from({ length: 16 }, () => (r() + 1) / 2));

/**
 * Each requantisation's width as the box bound gives it (every signal at its own extreme at
 * once: what the lowering used before), for the same program: recomputed here step by step.
 */
function boxBits(model: QuantizedModel): number[][] {
  const lo: bigint[] = [], hi: bigint[] = [];
  const [a, b] = inputBounds(model);
  model.inputShape.reduce((x, y) => x * y, 1);
  for (let i = 0; i < model.inputShape.reduce((x, y) => x * y, 1); i++) { lo[i] = BigInt(a); hi[i] = BigInt(b); }
  const interval = (f: IntForm) => {
    let l = f.c, h = f.c;
    f.i.forEach((id, j) => { const p = f.k[j]! * lo[id]!, q = f.k[j]! * hi[id]!; l += p < q ? p : q; h += p < q ? q : p; });
    return [l, h] as const;
  };
  return model.steps.map((s) => {
    assert.equal(s.kind, 'requant', 'the test models have requantisations only');
    if (s.kind !== 'requant') return [];
    return s.forms.map((f, o) => {
      const [l, h] = interval(f), rt = roundingTerm(s.shift[o]!);
      let ql = (l + rt) >> BigInt(s.shift[o]!), qh = (h + rt) >> BigInt(s.shift[o]!);
      if (s.act === 'relu') { ql = ql < 0n ? 0n : ql; qh = qh < 0n ? 0n : qh; }
      lo[s.out + o] = ql; hi[s.out + o] = qh;
      return signedBits(l + rt, h + rt);
    });
  });
}

/** Every requantisation's accumulator (plus its rounding term) fits the width the step gives it, on input `u`. */
function fits(model: QuantizedModel, u: readonly bigint[]): string | undefined {
  const w = runProgram(model, u);
  for (const s of model.steps) {
    if (s.kind !== 'requant') continue;
    for (let o = 0; o < s.forms.length; o++) {
      const v = evalForm(s.forms[o]!, w) + roundingTerm(s.shift[o]!), half = 1n << BigInt(s.bits[o]! - 1);
      if (v < -half || v >= half) return `${s.name} output ${o}: ${v} outside ${s.bits[o]} bits on input [${u}]`;
    }
  }
  return undefined;
}

const total = (m: QuantizedModel) => constraintParts(m, 'committed').reduce((a, p) => a + p.constraints, 0);

test('tighter bounds: the two-input network needs fewer bits than the box gives, and every one of its 128 x 128 inputs still fits every width', () => {
  const model = quantize(importGraph(loadOnnx(MLP)), { calibration: mlpSamples });
  assert.deepEqual(inputBounds(model), [128, 255]);
  const box = boxBits(model);
  let tight = 0, loose = 0;
  model.steps.forEach((s, k) => { if (s.kind === 'requant') s.bits.forEach((b, o) => { assert.ok(b <= box[k]![o]!, `${s.name} output ${o}: ${b} bits against the box's ${box[k]![o]}`); tight += b; loose += box[k]![o]!; }); });
  assert.ok(tight < loose, `${tight} bits against the box's ${loose}`);
  for (let u0 = 128n; u0 < 256n; u0++) {
    for (let u1 = 128n; u1 < 256n; u1++) {
      const bad = fits(model, [u0, u1]);
      if (bad) assert.fail(bad);
    }
  }
});

test('tighter bounds: the extreme inputs of the two-input network have a witness, and the honest witness passes while every single-wire change breaks a constraint', async () => {
  const model = quantize(importGraph(loadOnnx(MLP)), { calibration: mlpSamples });
  const { system } = buildConstraints(model, 'committed');
  for (const u of [[128n, 128n], [128n, 255n], [255n, 128n], [255n, 255n], [200n, 131n]]) {
    const { values } = computeValues(model, 'committed', u, 7n);
    assert.deepEqual(brokenConstraints(system.constraints, values), [], `input [${u}]`);
  }
  await checkModel(model, [0.99, 0.05], 'committed', true);
  await checkModel(model, mlpSamples[3]!, 'committed', true);
});

test('tighter bounds on a LeNet-ordered CNN (conv, average pool, ReLU, conv, ReLU, Gemm): fewer constraints than the box widths, box corners and random inputs fit, outputs match the float model, every single-wire change breaks a constraint', async () => {
  const model = quantize(importGraph(loadOnnx(poolCnn())), { calibration: cnnSamples });
  const box = boxBits(model);
  const cut = model.steps.reduce((a, s, k) => a + (s.kind === 'requant' ? s.bits.reduce((x, b, o) => x + box[k]![o]! - b, 0) : 0), 0);
  assert.ok(cut > 0, 'some width is narrower than the box bound');
  const [lo, hi] = inputBounds(model);
  const g = pseudoRandom(47);
  for (let n = 0; n < 3000; n++) {
    // Corners of the box (where a piecewise-linear function's extremes over a box often lie), then random points.
    const u = Array.from({ length: 16 }, () => BigInt(n < 2000 ? (g() < 0 ? lo : hi) : lo + Math.floor(((g() + 1) / 2) * (hi - lo + 1))));
    const bad = fits(model, u);
    if (bad) assert.fail(bad);
  }
  const graph = importGraph(loadOnnx(poolCnn()));
  for (const x of cnnSamples.slice(0, 6)) {
    const got = dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x)));
    inferFloat(graph, x).forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 0.05, `output ${i}: ${got[i]} against ${v}`));
  }
  assert.ok(total(model) > 0);
  await checkModel(model, cnnSamples[2]!, 'committed', true);
});
