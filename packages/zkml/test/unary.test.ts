// Elementwise functions, reductions, LogSoftmax, Div by a tensor, Min/Max, Pow, ConstantOfShape
// (issue 17 item 6): outputs within the reported approximation error of onnxruntime, the r1cs
// witness, dishonest hints, domain errors and exact rounding.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildOnnx, compileModel, dequantizeOutput, FunctionDomainError, importGraph, inferFloat, inferQuantized, loadOnnx, quantize, quantizeInput, UnsupportedOperatorError, type GraphSpec, type NodeSpec, type QuantizedModel, releaseCurves } from './exports.js';
import { buildConstraints, computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import type { Adversary } from '../src/r1cs/system.js';
import { UNARY_GOLDEN } from './golden/unary.js';
import { checkModel } from './r1csCheck.js';

const golden = join(import.meta.dirname, 'golden');
const fixture = (name: string) => JSON.parse(readFileSync(join(golden, `${name}.json`), 'utf8')) as { inputs: number[][]; expected: number[][] };
const compiled = (name: string, calibration = fixture(name).inputs) => quantize(importGraph(loadOnnx(readFileSync(join(golden, `${name}.onnx`)))), { calibration, inputBits: 16 });
const INT64 = 7;
after(releaseCurves);

/**
 * The tolerance against onnxruntime: the sum of the largest errors the compiler reported for
 * the model's approximations, plus 16 steps of the output scale for the requantisations between
 * them (each rounds by half a step of a scale at least as fine as the output's).
 */
const tolerance = (q: QuantizedModel) => (q.approximations ?? []).reduce((a, x) => a + x.maxError, 0) + 16 * 2 ** -q.outputScale;

for (const spec of UNARY_GOLDEN) {
  test(`${spec.name}: every quantised output is within the reported approximation error (+16 output steps) of onnxruntime, on 24 inputs`, () => {
    const g = fixture(spec.name);
    const q = compiled(spec.name);
    const tol = tolerance(q);
    for (const a of q.approximations ?? []) {
      assert.ok(a.calibrated !== null && a.window[0] <= a.calibrated[0] && a.window[1] >= a.calibrated[1], `${a.fn}: the window covers the calibrated range`);
      assert.ok(a.maxError > 0 && a.maxError < 0.05, `${a.fn}: error ${a.maxError}`);
    }
    g.inputs.forEach((x, i) => {
      dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x))).forEach((v, j) => {
        assert.ok(Math.abs(v - g.expected[i]![j]!) <= tol, `sample ${i} output ${j}: ${v} vs ${g.expected[i]![j]} (tolerance ${tol})`);
      });
    });
  });
}

/** A dishonest prover at every hint of one kind: each change must break a constraint. */
function attacked(q: QuantizedModel, x: readonly number[], kind: Parameters<Adversary>[0], change: (honest: readonly bigint[]) => bigint[] | undefined): number {
  const u = quantizeInput(q, x);
  const { system } = buildConstraints(q, 'committed');
  const sites: string[] = [];
  computeValues(q, 'committed', u, 1n, (k, where, honest) => { if (k === kind) sites.push(where); return honest; });
  let n = 0;
  for (const site of sites) {
    let applied = false;
    const { values } = computeValues(q, 'committed', u, 1n, (k, where, honest) => {
      if (k !== kind || where !== site) return honest;
      const c = change(honest);
      if (!c) return honest;
      applied = true;
      return c;
    });
    if (!applied) continue;
    n++;
    assert.notDeepEqual(brokenConstraints(system.constraints, values), [], `${kind} at ${site}: the dishonest hint was accepted`);
  }
  return n;
}

test('soundness: a tampered segment selector of every approximation table (Exp, Log, Sqrt, Reciprocal) breaks a constraint', () => {
  const q = compiled('unary_exp_log_sqrt');
  const x = fixture('unary_exp_log_sqrt').inputs[3]!;
  assert.equal(attacked(q, x, 'pwl', ([seg, n]) => [(seg! + 1n) % n!]), 16);
  assert.equal(attacked(q, x, 'pwl', ([seg, n]) => [(seg! + n! - 1n) % n!]), 16);
});

test('soundness: a tampered quotient or remainder of Floor/Ceil/Round and of Div by a tensor breaks a constraint', () => {
  for (const name of ['unary_rounding', 'div_tensor']) {
    const q = compiled(name);
    const x = fixture(name).inputs[5]!;
    // (A quotient of 0 made -1 wraps to a field element whose low bits are those of 0: no change to test.)
    const lower = attacked(q, x, 'div', ([qv, r, d]) => (qv! > 0n ? [qv! - 1n, r! + d!] : undefined));
    const higher = attacked(q, x, 'div', ([qv, r, d]) => [qv! + 1n, r! - d!]);
    assert.ok(lower >= 4 && higher >= 8, `${name}: ${lower} and ${higher} division sites attacked`);
  }
});

test('Round is half to even, Floor and Ceil exact, on ties and negative values (as onnxruntime: Round(2.5) = 2, Round(-1.5) = -2)', () => {
  const bytes = buildOnnx({
    input: { name: 'x', shape: [1, 6] }, output: { name: 'y' }, initializers: { h: { dims: [], values: [0.5] } },
    nodes: [{ op: 'Mul', inputs: ['x', 'h'], outputs: ['m'] }, { op: 'Round', inputs: ['m'], outputs: ['r'] }, { op: 'Floor', inputs: ['m'], outputs: ['f'] }, { op: 'Ceil', inputs: ['m'], outputs: ['c'] }, { op: 'Concat', inputs: ['r', 'f', 'c'], outputs: ['y'], attrs: { axis: 1 } }],
  });
  const x = [1, 3, 5, -1, -3, -6];
  const q = quantize(importGraph(loadOnnx(bytes)), { calibration: [x, [7, -7, 0.25, -0.25, 2, -2]] });
  assert.deepEqual(dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x))), [0, 2, 2, -0, -2, -3, 0, 1, 2, -1, -2, -3, 1, 2, 3, -0, -1, -3].map((v) => v + 0));
  assert.ok(q.steps.every((s) => s.kind !== 'pwl'), 'rounding is exact: no table');
});

test('Log, Sqrt and Reciprocal of a calibrated range outside their domain are refused at compile time with FunctionDomainError; without calibration the default window is used and reported', () => {
  const one = (op: string, extra: NodeSpec[] = []): Uint8Array => buildOnnx({ input: { name: 'x', shape: [1, 3] }, output: { name: 'y' }, nodes: [...extra, { op, inputs: ['x'], outputs: ['y'] }] });
  const calibration = [[0.5, -0.25, 1], [2, 0, 1.5]];
  for (const op of ['Log', 'Sqrt', 'Reciprocal']) {
    assert.throws(() => quantize(importGraph(loadOnnx(one(op))), { calibration }), (e: unknown) => e instanceof FunctionDomainError && e.opType === op && e.range[0] === -0.25 && /domain/.test(e.message), op);
  }
  const q = quantize(importGraph(loadOnnx(one('Log'))));
  assert.equal(q.approximations?.length, 1);
  assert.equal(q.approximations![0]!.calibrated, null);
  assert.ok(q.approximations![0]!.window[0] > 0 && Math.abs(q.approximations![0]!.window[0] - 0.125) < 0.01, 'Log\'s default window starts at 1/8');
});

test('Div by a computed integer divisor truncates toward zero as onnxruntime (7x / (x*x + 1)), and its witness satisfies the r1cs', async () => {
  const spec: GraphSpec = {
    input: { name: 'x', shape: [1, 4], elemType: INT64 }, output: { name: 'y', shape: [1, 4], elemType: INT64 },
    initializers: { seven: { dims: [1], values: [7], int64: true }, one: { dims: [1], values: [1], int64: true } },
    nodes: [{ op: 'Mul', inputs: ['x', 'seven'], outputs: ['n'] }, { op: 'Mul', inputs: ['x', 'x'], outputs: ['s'] }, { op: 'Add', inputs: ['s', 'one'], outputs: ['d'] }, { op: 'Div', inputs: ['n', 'd'], outputs: ['y'] }],
  };
  const model = importGraph(loadOnnx(buildOnnx(spec)));
  const q = quantize(model, { calibration: [[3, -2, 0, 1], [-5, 4, 2, -1]] });
  const x = [3, -2, 0, -5];
  assert.deepEqual(inferQuantized(q, quantizeInput(q, x)), [2n, -2n, 0n, -1n]);
  assert.deepEqual(inferFloat(model, x), [2, -2, 0, -1]);
  await checkModel(q, x, 'committed', true);
});

test('Pow: exponent 2 and 3 are exact products (no table), a computed exponent with a computed base is refused with the agreed-mode advice', () => {
  const pow = (k: number) => buildOnnx({ input: { name: 'x', shape: [1, 3] }, output: { name: 'y' }, initializers: { k: { dims: [], values: [k] } }, nodes: [{ op: 'Pow', inputs: ['x', 'k'], outputs: ['y'] }] });
  const calibration = [[0.5, -1.5, 2], [-2, 1, 0.25]];
  for (const k of [2, 3]) {
    const q = quantize(importGraph(loadOnnx(pow(k))), { calibration });
    assert.equal(q.steps.filter((s) => s.kind === 'product').length, k - 1);
    assert.ok(q.steps.every((s) => s.kind !== 'pwl'));
    const got = dequantizeOutput(q, inferQuantized(q, quantizeInput(q, [0.5, -1.5, 2])));
    got.forEach((v, i) => assert.ok(Math.abs(v - [0.5, -1.5, 2][i]! ** k) < 1e-3, `${v}`));
  }
  const both = buildOnnx({ input: { name: 'x', shape: [1, 3] }, output: { name: 'y' }, nodes: [{ op: 'Pow', inputs: ['x', 'x'], outputs: ['y'] }] });
  assert.throws(() => importGraph(loadOnnx(both)), (e: unknown) => e instanceof UnsupportedOperatorError && e.opType === 'Pow' && /agreed mode/.test(String((e as { details?: string }).details ?? e.message)));
});

test('compile report (r1cs backend): every approximation with its window, segments and largest error, and one progress line each', async () => {
  const name = 'unary_trig';
  const lines: string[] = [];
  const report = await compileModel(readFileSync(join(golden, `${name}.onnx`)), { out: join(mkdtempSync(join(tmpdir(), 'verity-unary-')), name), calibration: fixture(name).inputs.slice(0, 4), inputBits: 16, backend: 'r1cs', setup: false, progress: (p) => lines.push(p.phase) });
  const approximations = report.quantization.approximations!;
  assert.deepEqual(approximations.map((a) => a.fn), ['sin', 'cos']);
  for (const a of approximations) {
    assert.ok(a.segments >= 32 && a.maxError > 0 && a.maxError < 0.01);
    assert.ok(lines.some((l) => l.startsWith(`approximation: ${a.fn} at node`) && l.includes('max error')), lines.join('\n'));
  }
  // 16-bit inputs: the input rounding (2^-13 here) stays below the output steps counted.
  assert.ok(report.accuracy!.maxAbsError <= approximations.reduce((s, a) => s + a.maxError, 0) + 16 * 2 ** -report.quantization.outputScale);
});

test('a negative divisor range: Div(1, x - 3) by constrained division and Reciprocal(x - 3) through a table that stays below 0, both within their tolerance', async () => {
  const graph = (op: 'Div' | 'Reciprocal'): GraphSpec => ({
    input: { name: 'x', shape: [1, 3] }, output: { name: 'y' }, initializers: { one: { dims: [], values: [1] }, three: { dims: [], values: [3] } },
    nodes: [{ op: 'Sub', inputs: ['x', 'three'], outputs: ['d'] }, op === 'Div' ? { op, inputs: ['one', 'd'], outputs: ['y'] } : { op, inputs: ['d'], outputs: ['y'] }],
  });
  const calibration = [[0.5, -1, 2], [1.9, -1.9, 0], [-0.3, 0.7, 1.2]];
  for (const op of ['Div', 'Reciprocal'] as const) {
    const q = quantize(importGraph(loadOnnx(buildOnnx(graph(op)))), { calibration, inputBits: 16 });
    if (op === 'Reciprocal') assert.ok(q.approximations![0]!.window[1] < 0, 'the window stays below the pole');
    for (const x of calibration) {
      dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x))).forEach((v, i) => assert.ok(Math.abs(v - 1 / (x[i]! - 3)) <= tolerance(q), `${op}: ${v} vs ${1 / (x[i]! - 3)}`));
    }
    await checkModel(q, calibration[1]!, 'committed', true);
  }
});
