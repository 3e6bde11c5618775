// The r1cs backend's check of one model and input, shared by the r1cs, integer-semantics and
// coverage tests, and onnxruntime-web's outputs to compare against.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-web';
import { inputCommitment, layoutOf, loadOnnx, ortInput, packInputs, quantizeInput, runProgram, unpackOutputs, weightCommitment, weightValues, type InputVisibility, type QuantizedModel } from './exports.js';
import { buildConstraints, computeValues, type R1csWeights } from '../src/r1cs/circuit.js';
import { brokenConstraints, readers, unconstrainedLabels } from '../src/r1cs/check.js';
import { P, signed } from '../src/r1cs/system.js';

/**
 * Checks one model and input: the honest witness, the public signals, the signals against the
 * integer program, unconstrained wires, and (with `tamper`) every single-wire change.
 */
export async function checkModel(model: QuantizedModel, x: readonly number[], visibility: InputVisibility, tamper: boolean, weights: R1csWeights = 'constant') {
  const layout = layoutOf(model, visibility);
  const { system, eliminated, shape } = buildConstraints(model, visibility, weights);
  const u = quantizeInput(model, x);
  const { values, signals } = computeValues(model, visibility, u, 12345n, undefined, weights);
  assert.equal(values.length, system.labels, 'both modes allocate the same labels');
  assert.deepEqual(brokenConstraints(system.constraints, values), [], 'the honest witness satisfies every constraint');
  const w = runProgram(model, u);
  signals.forEach((v, i) => assert.equal(signed(v), w[i], `signal ${i}`));
  const publics = values.slice(1, 1 + shape.publicOutputs + shape.publicInputs);
  assert.deepEqual(unpackOutputs(layout, publics.slice(0, layout.outputWords)), model.outputs.map((id) => w[id]!), 'packed outputs');
  const seed = weights === 'committed' ? await weightCommitment(weightValues(model)) : 0n;
  if (visibility === 'committed') assert.equal(publics[layout.outputWords], await inputCommitment(layout, u, seed), 'input commitment');
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

/** onnxruntime-web's output for each input, the input in its declared type (a graph of input `x` and output `y`). */
export async function onnxruntime(bytes: Uint8Array, inputs: number[][]): Promise<number[][]> {
  const shape = loadOnnx(bytes).inputs[0]!.shape;
  const session = await ort.InferenceSession.create(bytes);
  const out: number[][] = [];
  for (const x of inputs) out.push(Array.from((await session.run({ x: ortInput(session, x, shape) })).y!.data as ArrayLike<number | bigint>, Number));
  return out;
}
