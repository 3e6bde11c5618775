// The r1cs backend (src/r1cs): on every golden fixture (every step kind), the witness computed in
// TypeScript satisfies every constraint over the BN254 field, the program's signals equal the
// integer reference, the public signals equal what the Coprocessor checks, and no wire is left
// unconstrained. Soundness: changing any single wire of the witness breaks a constraint.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importGraph, inputCommitment, layoutOf, loadOnnx, packInputs, quantize, quantizeInput, runProgram, unpackOutputs, type InputVisibility, type QuantizedModel } from './exports.js';
import { buildConstraints, computeValues } from '../src/r1cs/circuit.js';
import { brokenConstraints, readers, unconstrainedLabels } from '../src/r1cs/check.js';
import { P, signed } from '../src/r1cs/system.js';

const golden = join(import.meta.dirname, 'golden');
const FIXTURES = readdirSync(golden).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();

function fixture(name: string): { model: QuantizedModel; inputs: number[][] } {
  const g = JSON.parse(readFileSync(join(golden, `${name}.json`), 'utf8')) as { inputs: number[][] };
  return { model: quantize(importGraph(loadOnnx(readFileSync(join(golden, `${name}.onnx`)))), { calibration: g.inputs }), inputs: g.inputs };
}

/**
 * Checks one model and input: the honest witness, the public signals, the signals against the
 * integer program, unconstrained wires, and (with `tamper`) every single-wire change.
 */
async function checkModel(model: QuantizedModel, x: readonly number[], visibility: InputVisibility, tamper: boolean) {
  const layout = layoutOf(model, visibility);
  const { system, eliminated, shape } = buildConstraints(model, visibility);
  const u = quantizeInput(model, x);
  const { values, signals } = computeValues(model, visibility, u, 12345n);
  assert.equal(values.length, system.labels, 'both modes allocate the same labels');
  assert.deepEqual(brokenConstraints(system.constraints, values), [], 'the honest witness satisfies every constraint');
  const w = runProgram(model, u);
  signals.forEach((v, i) => assert.equal(signed(v), w[i], `signal ${i}`));
  const publics = values.slice(1, 1 + shape.publicOutputs + shape.publicInputs);
  assert.deepEqual(unpackOutputs(layout, publics.slice(0, layout.outputWords)), model.outputs.map((id) => w[id]!), 'packed outputs');
  if (visibility === 'committed') assert.equal(publics[layout.outputWords], await inputCommitment(layout, u), 'input commitment');
  if (visibility === 'public') assert.deepEqual(publics.slice(layout.outputWords, -1), packInputs(layout, u), 'input chunks');
  assert.equal(publics.at(-1), 12345n, 'binding');
  assert.deepEqual(unconstrainedLabels(system.constraints, system.labels, eliminated), [], 'every wire is constrained');
  if (!tamper) return { constraints: system.constraints.length };
  // Every single-wire change (+1, and a bit flip for 0/1 values) breaks a constraint, except an
  // IsZero inverse whose input is 0 (free in circom's template too: 0 * inv = 1 - 1 for any inv).
  const by = readers(system.constraints, system.labels);
  const gone = new Set(eliminated);
  const free: number[] = [];
  for (let l = 1; l < values.length; l++) {
    if (gone.has(l)) continue;
    const original = values[l]!;
    for (const changed of [(original + 1n) % P, original === 1n ? 0n : original === 0n ? P - 1n : original + 2n]) {
      values[l] = changed;
      if (brokenConstraints(system.constraints, values, by[l]).length === 0) free.push(l);
      values[l] = original;
    }
  }
  const freeInverse = (l: number) => system.constraints.some((c) => c.b.size === 1 && c.b.has(l) && [...c.a.keys()].every((k) => values[k] !== undefined) && c.c.size > 0 && evaluateIsZeroInput(c.a, values) === 0n);
  assert.deepEqual(free.filter((l) => !freeInverse(l)), [], 'wires that a single change leaves the witness valid');
  return { constraints: system.constraints.length };
}

const evaluateIsZeroInput = (lc: Map<number, bigint>, values: readonly bigint[]) => {
  let acc = 0n;
  for (const [l, k] of lc) acc += k * values[l]!;
  return acc % P;
};

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
