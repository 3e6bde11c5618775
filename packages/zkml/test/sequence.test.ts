// Sequence models in proved mode: a product of two activation matrices, a self-attention block
// and the recurrent cells (golden fixtures in test/golden/sequence.ts), compiled with the r1cs
// backend and checked against onnxruntime-web; a dishonest product or requantisation that the
// rest of the witness follows is rejected; what cannot be proved is refused with the reason.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { bigintReviver, buildOnnx, compileModel, dequantizeOutput, importGraph, loadOnnx, quantize, quantizeInput, releaseCurves, runProgram, unpackOutputs, UnsupportedOperatorError, type NodeSpec, type QuantizedModel } from './exports.js';
import { SEQUENCE } from './golden/sequence.js';
import { buildConstraints, computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints } from '../src/r1cs/check.js';
import { r1csWitness } from '../src/r1cs/witness.js';
import { evalForm } from '../src/lower/steps.js';
import { wtnsValues } from './wtns.js';

const golden = join(import.meta.dirname, 'golden');
const scratch = mkdtempSync(join(tmpdir(), 'verity-sequence-'));
const quiet = { warn() {}, info() {}, error() {}, debug() {} };
after(releaseCurves);

const fixture = (name: string) => ({
  bytes: readFileSync(join(golden, `${name}.onnx`)),
  ...(JSON.parse(readFileSync(join(golden, `${name}.json`), 'utf8')) as { inputs: number[][]; expected: number[][] }),
});

for (const name of SEQUENCE.map((s) => s.name)) {
  test(`${name} compiled with the r1cs backend: snarkjs accepts the witness, and the proved outputs (16-bit inputs) are within 1% of the output range of onnxruntime's`, async () => {
    const g = fixture(name);
    const out = join(scratch, name);
    const report = await compileModel(g.bytes, { out, calibration: g.inputs, inputBits: 16, setup: false, backend: 'r1cs' });
    assert.ok(report.accuracy!.maxAbsError <= 0.01 * report.accuracy!.outputRange, `max error ${report.accuracy!.maxAbsError} over range ${report.accuracy!.outputRange}`);
    console.log(`${name}: ${report.constraints} constraints, max error ${report.accuracy!.maxAbsError.toFixed(4)} over an output range of ${report.accuracy!.outputRange.toFixed(3)}`);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'), bigintReviver) as QuantizedModel;
    const eliminated = JSON.parse(readFileSync(join(out, 'circuit.eliminated.json'), 'utf8'));
    const x = g.inputs[2]!;
    const file = join(scratch, `${name}.wtns`);
    writeFileSync(file, r1csWitness(model, 'committed', eliminated, quantizeInput(model, x), 77n));
    assert.equal(await snarkjs.wtns.check(join(out, 'circuit.r1cs'), file, quiet), true, 'snarkjs accepts the witness for the written r1cs');
    const witness = wtnsValues(file);
    const words = Array.from({ length: report.layout.outputWords }, (_, i) => witness.get(1 + i));
    const proved = dequantizeOutput(model, unpackOutputs(report.layout, words));
    const range = Math.max(...g.expected.flat()) - Math.min(...g.expected.flat());
    proved.forEach((v, j) => assert.ok(Math.abs(v - g.expected[2]![j]!) <= 0.01 * range, `output ${j}: ${v} vs ${g.expected[2]![j]}`));
  });
}

/**
 * A prover whose witness follows a changed step everywhere after it (the later decompositions
 * are of the changed values): `change` edits a copy of the model, the witness is computed from
 * the copy and checked against the honest circuit.
 */
function dishonest(model: QuantizedModel, u: readonly bigint[], change: (m: QuantizedModel) => void): number {
  const { system } = buildConstraints(model, 'committed');
  const other = structuredClone(model);
  change(other);
  return brokenConstraints(system.constraints, computeValues(other, 'committed', u, 1n).values).length;
}

for (const name of ['matmul_activations', 'gemm_activations', 'attention_block', 'gru', 'lstm']) {
  test(`${name}: an activation x activation product one off, or the requantised sum of products one more (the witness decomposing the accumulator plus one unit), breaks a constraint`, () => {
    const g = fixture(name);
    const model = quantize(importGraph(loadOnnx(g.bytes)), { calibration: g.inputs });
    const u = quantizeInput(model, g.inputs[1]!);
    const w = runProgram(model, u);
    assert.equal(dishonest(model, u, () => {}), 0, 'control: the honest witness satisfies every constraint');
    const products = model.steps.flatMap((s, k) => (s.kind === 'product' ? [k] : []));
    assert.ok(products.length > 0, `${name} has product steps`);
    for (const k of products.slice(0, 6)) {
      const s = model.steps[k]!;
      if (s.kind !== 'product') continue;
      // An element whose left factor is not zero: a * (b + 1) differs from a * b.
      const o = s.a.findIndex((f) => evalForm(f, w) !== 0n);
      assert.ok(o >= 0);
      assert.ok(dishonest(model, u, (m) => { const t = m.steps[k]!; if (t.kind === 'product') t.b[o] = { ...t.b[o]!, c: t.b[o]!.c + 1n }; }) > 0, `product step ${k} (${s.name}) element ${o}: a changed product was accepted`);
    }
    // The first requantisation that reads a product: its result one more, the witness's bits
    // decomposing acc + 2^shift instead of the accumulator the products give.
    const produced = new Set(products.flatMap((k) => { const s = model.steps[k]!; return s.kind === 'product' ? s.a.map((_, o) => s.out + o) : []; }));
    const r = model.steps.findIndex((s) => s.kind === 'requant' && s.act === 'none' && s.forms.some((f) => f.i.some((id) => produced.has(id))));
    assert.ok(r >= 0, `${name} requantises a product`);
    assert.ok(dishonest(model, u, (m) => { const t = m.steps[r]!; if (t.kind === 'requant') t.forms[0] = { ...t.forms[0]!, c: t.forms[0]!.c + (1n << BigInt(t.shift[0]!)) }; }) > 0, 'a requantised sum one step off was accepted');
  });
}

/** A forward LSTM node over x [2, 1, 2] with hidden size 2, with `extra` attributes and inputs. */
function lstm(attrs: NodeSpec['attrs'], inputs = ['x', 'W', 'R', 'B'], initializers: Record<string, { dims: number[]; values: number[]; int64?: boolean }> = {}): Uint8Array {
  const fill = (dims: number[]) => ({ dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => ((i % 7) - 3) / 10) });
  return buildOnnx({
    input: { name: 'x', shape: [2, 1, 2] }, output: { name: 'Y' }, opset: 14,
    nodes: [{ op: 'LSTM', inputs, outputs: ['Y'], attrs: { hidden_size: 2, ...attrs } }],
    initializers: { W: fill([1, 8, 2]), R: fill([1, 8, 2]), B: fill([1, 16]), ...initializers },
  });
}

test('recurrent cells that cannot be proved are refused with UnsupportedOperatorError, the reason and the agreed-mode advice', () => {
  const refused = (bytes: Uint8Array, reason: RegExp) => assert.throws(() => importGraph(loadOnnx(bytes)), (e: unknown) =>
    e instanceof UnsupportedOperatorError && e.opType === 'LSTM' && reason.test(e.message) && /agreed mode/.test(e.details ?? ''));
  refused(lstm({ clip: { float: 3 } }), /clip/);
  refused(lstm({ input_forget: 1 }), /input_forget/);
  refused(lstm({ layout: 1 }), /layout 1/);
  refused(lstm({ activations: ['HardSigmoid', 'Tanh', 'Tanh'] }), /activation HardSigmoid/);
  refused(lstm({}, ['x', 'W', 'R', 'B', 'lens'], { lens: { dims: [1], values: [1], int64: true } }), /sequence_lens/);
  refused(lstm({}, ['x', 'W', 'x']), /recurrence weights R/);
  // The control: the same node with full sequence lengths compiles.
  assert.deepEqual(importGraph(loadOnnx(lstm({}, ['x', 'W', 'R', 'B', 'lens'], { lens: { dims: [1], values: [2], int64: true } }))).outputShape, [2, 1, 1, 2]);
});
