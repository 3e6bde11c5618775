// The request-batch circuit: one model instantiated K times (its weights shared: circuit
// constants, or one set of committed weights and one weight commitment), so that one Groth16
// proof answers K different requests. Public signals, in order:
//   - the K slots' outputs packed densely across slots (slot i's output j is value
//     i * outputCount + j, `outputsPerWord` values a word, first value in the lowest bits);
//   - per pair of slots (2j, 2j + 1), one signal c_2j + COMMITMENT_PAIR * c_2j+1 (mod p) of
//     their input commitments (the last slot alone when K is odd). Each c_i is a private wire
//     constrained by c_i * (c_i - Poseidon(input_i)) = 0: a real request's commitment (never 0)
//     is that slot's input's commitment, exactly as in the single circuit; 0 marks an empty
//     slot, whose outputs nobody reads. Two commitments a signal halve the K signals (each
//     costs ~6.5k gas to verify); to answer a pair with other inputs a prover must find inputs
//     whose commitments hit the same combination, a search over 2 or 3 free lists (its own
//     request in the pair counts), ~2^127 Poseidon evaluations: Poseidon's own collision bound,
//     above the ~100-bit security of BN254 itself. (Three a signal would give an attacker with
//     its own request in the group 4 lists, and Wagner's algorithm ~2^85: not done.)
//   - one binding for the whole batch (Coprocessor.requestsBinding: chain, Coprocessor, prover
//     and the ordered request ids), squared so that the verifying key pins it.
import type { QuantizedModel } from '../quantize/quantize.js';
import { layoutOf, type Layout } from '../io/layout.js';
import { unpackOutputs, weightValues } from '../io/commit.js';
import { inputPack, product } from './gadgets.js';
import { commitChain, packOutputs, secretWires, stepGadgets, weightCommit, weightInputs, type CircuitShape, type R1csWeights, type Reserving } from './circuit.js';
import { mod, sub, SymbolicSystem, ValueSystem, type Adversary } from './system.js';

/** The factor of the second commitment of a pair's signal (Coprocessor.COMMITMENT_PAIR). */
export const COMMITMENT_PAIR = 1n << 128n;

/** One pair's signal: c_2j + COMMITMENT_PAIR * c_2j+1 (mod p); `second` 0 for a lone last slot. */
export const commitmentPair = (first: bigint, second = 0n): bigint => mod(first + COMMITMENT_PAIR * second);

/** How a request batch's public signals lie: `k` slots of the single model's layout. */
export type RequestBatchLayout = {
  /** slots per proof */
  k: number;
  /** the single model's layout (inputs, outputs per slot, packing) */
  slot: Layout;
  /** packed output words of all slots together */
  outputWords: number;
  /** ceil(k / 2) signals of two slots' commitments each */
  commitmentSignals: number;
  /** outputWords + commitmentSignals + 1 binding */
  publicSignals: number;
};

export function requestBatchLayout(model: QuantizedModel, k: number): RequestBatchLayout {
  const slot = layoutOf(model, 'committed');
  const outputWords = Math.ceil((k * slot.outputCount) / slot.outputsPerWord);
  const commitmentSignals = Math.ceil(k / 2);
  return { k, slot, outputWords, commitmentSignals, publicSignals: outputWords + commitmentSignals + 1 };
}

export const requestBatchShape = (layout: RequestBatchLayout, model: QuantizedModel, weights: R1csWeights): CircuitShape => ({
  publicOutputs: layout.outputWords + layout.commitmentSignals,
  publicInputs: 1,
  privateInputs: layout.k + layout.k * layout.slot.inputCount + weightInputs(weights === 'committed' ? weightValues(model) : undefined),
});

/** A request batch's witness inputs: each slot's encoded input and public commitment (0: empty), and the batch binding. */
export type RequestBatchInputs = { us: readonly (readonly bigint[])[]; commitments: readonly bigint[]; binding: bigint };

/** Builds the request-batch circuit on `cs` (with `inputs`: computes its witness). Returns each slot's output combinations. */
export function synthesizeRequests<L>(cs: Reserving<L>, model: QuantizedModel, k: number, inputs?: RequestBatchInputs, weights: R1csWeights = 'constant'): L[][] {
  const layout = requestBatchLayout(model, k);
  const { slot } = layout;
  const secret = weights === 'committed' ? weightValues(model) : undefined;
  const words = cs.reserve(layout.outputWords);
  const pairs = cs.reserve(layout.commitmentSignals);
  const binding = cs.alloc(() => inputs!.binding);
  const commitments = Array.from({ length: k }, (_, i) => cs.alloc(() => inputs!.commitments[i]!));
  const us = Array.from({ length: k }, (_, i) => Array.from({ length: slot.inputCount }, (_, j) => cs.alloc(() => inputs!.us[i]![j]!)));
  const wires = secretWires(cs, secret);
  if (cs instanceof SymbolicSystem) cs.firstInternal = cs.labels;

  // One weight commitment seeds every slot's input chain (0, known, with constant weights).
  const seed = secret ? weightCommit(cs, secret, [...wires.values()]) : { known: 0n };
  const outputs = us.map((u, i) => {
    const sig = new Array<L>(model.signalCount);
    u.forEach((x, j) => (sig[j] = x));
    const h = commitChain(cs, inputPack(cs, u, slot.inputWidth, slot.inputsPerChunk, 'input', model.inputBounds), seed);
    // c_i is 0 (an empty slot) or this slot's input commitment.
    cs.constrain(commitments[i]!, sub(cs, commitments[i]!, h), cs.constant(0n));
    model.steps.forEach((s, step) => stepGadgets(cs, s, sig, wires.get(step)));
    return model.outputs.map((id) => sig[id]!);
  });

  packOutputs(cs, outputs.flat(), slot).forEach((x, w) => cs.bindPublic(words[w]!, x));
  pairs.forEach((label, j) => {
    const second = commitments[2 * j + 1];
    cs.bindPublic(label, cs.linear(0n, second === undefined ? [[commitments[2 * j]!, 1n]] : [[commitments[2 * j]!, 1n], [second, COMMITMENT_PAIR]]));
  });
  product(cs, binding, binding);
  return outputs;
}

/** The request-batch circuit's constraints, with the labels its public bindings eliminated. */
export function buildRequestConstraints(model: QuantizedModel, k: number, weights: R1csWeights = 'constant'): { system: SymbolicSystem; eliminated: number[]; shape: CircuitShape } {
  const system = new SymbolicSystem();
  synthesizeRequests(system, model, k, undefined, weights);
  return { system, eliminated: system.finish(), shape: requestBatchShape(requestBatchLayout(model, k), model, weights) };
}

/** Every label's value of a request batch's witness (before eliminations), and each slot's outputs. */
export function computeRequestValues(model: QuantizedModel, k: number, inputs: RequestBatchInputs, weights: R1csWeights = 'constant', adversary?: Adversary): { values: bigint[]; outputs: bigint[][] } {
  const system = new ValueSystem(adversary);
  const outputs = synthesizeRequests(system, model, k, inputs, weights);
  return { values: system.values, outputs };
}

/** Slot `i`'s signed outputs from a batch's output words (as Coprocessor.fulfillRequests decodes them). */
export function requestSlotOutputs(layout: RequestBatchLayout, words: readonly bigint[], i: number): bigint[] {
  const { outputCount } = layout.slot;
  const all = unpackOutputs({ ...layout.slot, outputCount: layout.k * outputCount, outputWords: layout.outputWords }, words);
  return all.slice(i * outputCount, (i + 1) * outputCount);
}
