// The whole circuit of a quantised model, as codegen/circom.ts lays it out for circom: the
// input range checks and commitment, one gadget per step output over the signal array, the
// output packing and the request binding. The public signals are circom's, in circom's order:
// the packed output words, the input commitment (or the input chunks), then the binding.
import type { IntForm, Step } from '../lower/steps.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { layoutOf, type InputVisibility, type Layout } from '../codegen/layout.js';
import { argmax, divFloor, inputPack, isZero, product, pwl, requant, rsqrt } from './gadgets.js';
import { poseidon, type Known } from './poseidon.js';
import { SymbolicSystem, ValueSystem, type Adversary, type ConstraintSystem } from './system.js';

/** How the labels of a circuit split: label 0 is the constant one, then these, in order. */
export type CircuitShape = { publicOutputs: number; publicInputs: number; privateInputs: number };

export const shapeOf = (layout: Layout): CircuitShape => ({
  publicOutputs: layout.publicSignals - 1,
  publicInputs: 1,
  privateInputs: layout.inputCount,
});

const formOf = <L>(cs: ConstraintSystem<L>, f: IntForm, sig: readonly L[]): L =>
  cs.linear(f.c, f.i.map((id, j) => [sig[id]!, f.k[j]!] as const));

/** Runs step `s`'s gadgets, writing its outputs' combinations into `sig`. */
function stepGadgets<L>(cs: ConstraintSystem<L>, s: Step, sig: L[]): void {
  const at = (o: number) => `node "${s.name}" output ${o}`;
  switch (s.kind) {
    case 'requant':
      s.forms.forEach((f, o) => { sig[s.out + o] = requant(cs, formOf(cs, f, sig), s.bits[o]!, s.shift[o]!, s.act, at(o)); });
      return;
    case 'pwl':
      s.forms.forEach((f, o) => { sig[s.out + o] = pwl(cs, formOf(cs, f, sig), s.k, s.t, s.A, s.B, at(o)); });
      return;
    case 'product':
      s.a.forEach((f, o) => { sig[s.out + o] = product(cs, formOf(cs, f, sig), formOf(cs, s.b[o]!, sig)); });
      return;
    case 'argmax':
      s.groups.forEach((g, o) => { sig[s.out + o] = argmax(cs, g.map((f) => formOf(cs, f, sig)), s.bits, at(o)); });
      return;
    case 'div':
      s.num.forEach((f, o) => { sig[s.out + o] = divFloor(cs, formOf(cs, f, sig), formOf(cs, s.den[o]!, sig), s.qBits, s.rBits, at(o)); });
      return;
    case 'iszero':
      s.forms.forEach((f, o) => { sig[s.out + o] = isZero(cs, formOf(cs, f, sig), at(o)); });
      return;
    case 'rsqrt':
      s.forms.forEach((f, o) => { sig[s.out + o] = rsqrt(cs, formOf(cs, f, sig), s.K, s.rBits, s.slackBits, at(o)); });
      return;
  }
}

type Reserving<L> = ConstraintSystem<L> & { reserve(n: number): number[] };

/**
 * Builds the circuit on `cs`. `inputs` gives the private inputs' and the binding's values
 * (witness mode). Returns the program's signals (as combinations) for tests.
 */
export function synthesize<L>(cs: Reserving<L>, model: QuantizedModel, visibility: InputVisibility, inputs?: { u: readonly bigint[]; binding: bigint }): L[] {
  const layout = layoutOf(model, visibility);
  const shape = shapeOf(layout);
  const publics = cs.reserve(shape.publicOutputs);
  const binding = cs.alloc(() => inputs!.binding);
  const u = Array.from({ length: shape.privateInputs }, (_, i) => cs.alloc(() => inputs!.u[i]!));
  if (cs instanceof SymbolicSystem) cs.firstInternal = cs.labels;

  const sig = new Array<L>(model.signalCount);
  u.forEach((x, i) => (sig[i] = x));
  const chunks = inputPack(cs, u, layout.inputWidth, layout.inputsPerChunk);
  let commitment: L | undefined;
  if (visibility === 'committed') {
    // InputCommit: h_0 = 0, h_{c+1} = Poseidon(h_c, 5 chunks), missing chunks 0.
    let h: L | Known = { known: 0n };
    for (let c = 0; c < chunks.length; c += 5) h = poseidon(cs, [h, ...Array.from({ length: 5 }, (_, j) => chunks[c + j] ?? { known: 0n })]);
    commitment = h as L;
  }
  for (const s of model.steps) stepGadgets(cs, s, sig);

  const half = 1n << BigInt(model.outputBits - 1);
  const outs = model.outputs.map((id) => sig[id]!);
  const words: L[] = [];
  for (let k = 0; k < layout.outputWords; k++) {
    const group = outs.slice(k * layout.outputsPerWord, (k + 1) * layout.outputsPerWord);
    words.push(cs.linear(group.reduce((a, _, j) => a + (half << BigInt(layout.outputBits * j)), 0n), group.map((x, j) => [x, 1n << BigInt(layout.outputBits * j)] as const)));
  }
  const bound = visibility === 'committed' ? [commitment!] : visibility === 'public' ? chunks : [];
  [...words, ...bound].forEach((x, i) => cs.bindPublic(publics[i]!, x));
  // Bind: the binding squared, so the verifying key pins it.
  product(cs, binding, binding);
  return sig;
}

/** The circuit's constraints over labels, with the labels the public bindings eliminated. */
export function buildConstraints(model: QuantizedModel, visibility: InputVisibility): { system: SymbolicSystem; eliminated: number[]; shape: CircuitShape } {
  const system = new SymbolicSystem();
  synthesize(system, model, visibility);
  const eliminated = system.finish();
  return { system, eliminated, shape: shapeOf(layoutOf(model, visibility)) };
}

/** Every label's value for an encoded input and a binding (the witness before eliminations). */
export function computeValues(model: QuantizedModel, visibility: InputVisibility, u: readonly bigint[], binding: bigint, adversary?: Adversary): { values: bigint[]; signals: bigint[] } {
  const system = new ValueSystem(adversary);
  const signals = synthesize(system, model, visibility, { u, binding });
  return { values: system.values, signals };
}
