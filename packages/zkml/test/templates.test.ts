import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { bigintReviver, compileModel, outputsOf, importGraph, loadOnnx, quantize, quantizeInput, releaseCurves, runProgram, unpackOutputs, type QuantizedModel, type Step } from './exports.js';
import { symbolTable, wtnsValues } from './wtns.js';

/**
 * Per circuit template: the witness circom computes equals the TypeScript integer program,
 * and changing any template's output (or a hint it relies on) breaks the constraints.
 * Fixtures come from test/golden; circuits are compiled without a setup (r1cs + wasm).
 */
const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const golden = join(import.meta.dirname, 'golden');
const scratch = mkdtempSync(join(tmpdir(), 'verity-templates-'));
const quiet = { warn() {}, info() {}, error() {}, debug() {} };
after(releaseCurves);

/** The name of the template signal holding output `o` of step `k` (small fixtures: one chunk per step). */
function outputSignal(s: Step, k: number, o: number): string {
  const c = `main.s${k}_0.c${k}_0[${o}]`;
  switch (s.kind) {
    case 'requant': case 'pwl': case 'argmax': case 'iszero': case 'rsqrt': return `${c}.out`;
    case 'div': return `${c}.q`;
    case 'product': return `main.s${k}_0.y[${o}]`;
  }
}

const fixtures: { name: string; kinds: string[]; hints?: (k: number, kind: string) => string[] }[] = [
  { name: 'relu', kinds: ['requant'] },
  { name: 'mul_activations', kinds: ['requant', 'product'] },
  { name: 'sigmoid', kinds: ['requant', 'pwl'], hints: (k, kind) => (kind === 'pwl' ? [`main.s${k}_0.c${k}_0[0].dec.out[3]`] : []) },
  { name: 'argmax', kinds: ['requant', 'argmax'], hints: (k, kind) => (kind === 'argmax' ? [`main.s${k}_0.c${k}_0[0].sel[0]`, `main.s${k}_0.c${k}_0[0].sel[1]`] : []) },
  { name: 'softmax', kinds: ['requant', 'pwl', 'div'], hints: (k, kind) => (kind === 'div' ? [`main.s${k}_0.c${k}_0[0].r`] : kind === 'pwl' ? [`main.s${k}_0.c${k}_0[0].dec.out[1]`] : []) },
  { name: 'lenet_block', kinds: ['requant'] },
  { name: 'layer_norm', kinds: ['requant', 'product', 'rsqrt'], hints: (k, kind) => (kind === 'rsqrt' ? [`main.s${k}_0.c${k}_0[0].rb.out[0]`, `main.s${k}_0.c${k}_0[0].below.out[0]`] : []) },
  { name: 'logic_where', kinds: ['requant', 'product', 'iszero'] },
  { name: 'hummingbird_gemm', kinds: ['requant', 'iszero', 'argmax'] },
  { name: 'tree_classifier', kinds: ['requant', 'product', 'argmax'], hints: (k, kind) => (kind === 'argmax' ? [`main.s${k}_0.c${k}_0[0].sel[0]`] : []) },
  { name: 'unary_trig', kinds: ['requant', 'pwl'], hints: (k, kind) => (kind === 'pwl' ? [`main.s${k}_0.c${k}_0[0].dec.out[1]`] : []) },
  // A constant divisor: circom --O2 substitutes the remainder (a linear combination); the quotient is tampered as the step's output.
  { name: 'unary_rounding', kinds: ['requant', 'div'] },
  { name: 'div_tensor', kinds: ['requant', 'div'], hints: (k, kind) => (kind === 'div' ? [`main.s${k}_0.c${k}_0[0].r`] : []) },
];

for (const fx of fixtures) {
  test(`template circuits (${fx.kinds.join(', ')}) in ${fx.name}: witness equals the integer program; tampering is rejected`, async () => {
    const g = JSON.parse(readFileSync(join(golden, `${fx.name}.json`), 'utf8')) as { inputs: number[][] };
    const bytes = readFileSync(join(golden, `${fx.name}.onnx`));
    const out = join(scratch, fx.name);
    await compileModel(bytes, { out, calibration: g.inputs, setup: false, backend: 'circom' });
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'), bigintReviver) as QuantizedModel;
    const expectedModel = quantize(importGraph(loadOnnx(bytes)), { calibration: g.inputs });
    assert.deepEqual(model.steps.map((s) => s.kind), expectedModel.steps.map((s) => s.kind));
    for (const kind of fx.kinds) assert.ok(model.steps.some((s) => s.kind === kind), `${fx.name} has no ${kind} step`);

    const u = quantizeInput(model, g.inputs[1]!);
    const w = runProgram(model, u);
    const file = join(out, 'w.wtns');
    await snarkjs.wtns.calculate({ u: u.map(String), binding: '7' }, join(out, 'circuit_js', 'circuit.wasm'), file);
    const sym = symbolTable(join(out, 'circuit.sym'));
    const wt = wtnsValues(file);
    const r1cs = join(out, 'circuit.r1cs');
    assert.equal(await snarkjs.wtns.check(r1cs, file, quiet), true, 'control: the honest witness satisfies the r1cs');
    const original = readFileSync(file);

    const tamperRejected = async (name: string, change: (v: bigint) => bigint) => {
      const index = sym.get(name);
      assert.ok(index !== undefined, `signal ${name} not in the witness`);
      const t = wtnsValues(file);
      t.set(index, change(t.get(index)) % FIELD);
      const ok = await snarkjs.wtns.check(r1cs, file, quiet);
      (await import('node:fs')).writeFileSync(file, original);
      assert.equal(ok, false, `changing ${name} was accepted`);
    };

    const layout = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).layout;
    const words = Array.from({ length: layout.outputWords }, (_, i) => wt.get(1 + i));
    assert.deepEqual(unpackOutputs(layout, words), model.outputs.map((id) => w[id]!), 'public outputs');
    for (const [k, s] of model.steps.entries()) {
      for (let o = 0; o < outputsOf(s); o++) {
        // Outputs that circom --O2 substitutes away (a requantised value is a sum of its bits;
        // wires merged across templates) are checked through the public outputs above.
        const idx = sym.get(outputSignal(s, k, o));
        if (idx === undefined) continue;
        const want = w[s.out + o]!;
        assert.equal(wt.get(idx), ((want % FIELD) + FIELD) % FIELD, `step ${k} (${s.kind}) output ${o}`);
      }
      // An IsZero hint is free where the input is zero (the output is 1 whatever it is): tamper where it is not.
      const at = s.kind === 'iszero' ? Math.max(0, Array.from({ length: outputsOf(s) }, (_, o) => w[s.out + o]).indexOf(0n)) : 0;
      const c = `main.s${k}_0.c${k}_0[${at}]`;
      if (s.kind === 'product') { await tamperRejected('main.out[0]', (v) => v + 1n); continue; }
      const target = [outputSignal(s, k, 0), `${c}.bits.out[0]`, `${c}.sel[0]`, `${c}.qb.out[0]`, `${c}.rb.out[0]`, `${c}.inv`].find((name) => sym.has(name));
      assert.ok(target, `step ${k}: nothing to tamper with`);
      await tamperRejected(target, (v) => (target.includes('.out[') || target.includes('.sel[') ? 1n - v : v + 1n));
      if (s.kind !== 'requant') for (const h of fx.hints?.(k, s.kind) ?? []) await tamperRejected(h, (v) => 1n - v);
    }
  });
}
