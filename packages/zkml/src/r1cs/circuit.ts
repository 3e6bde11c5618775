// The whole circuit of a quantised model, as codegen/circom.ts lays it out for circom: the
// input range checks and commitment, one gadget per step output over the signal array, the
// output packing and the request binding. The public signals are circom's, in circom's order:
// the packed output words, the input commitment (or the input chunks), then the binding.
import type { IntForm, Step } from '../lower/steps.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { layoutOf, type InputVisibility, type Layout } from '../io/layout.js';
import { CHAIN_RATE, weightValues, type WeightValues } from '../io/commit.js';
import { argmax, divByConstant, divFloor, inputPack, isZero, product, pwl, requant, rsqrt } from './gadgets.js';
import { poseidon, type Known } from './poseidon.js';
import { plus, SymbolicSystem, ValueSystem, type Adversary, type ConstraintSystem } from './system.js';

/** How the labels of a circuit split: label 0 is the constant one, then these, in order. */
export type CircuitShape = { publicOutputs: number; publicInputs: number; privateInputs: number };

/**
 * The weights the r1cs backend builds: circuit constants, or private inputs bound by the
 * weight commitment that seeds the input commitment (`--weights committed`, as circom's
 * WeightCommit). Weights as unpinned signals are refused (see compile.ts).
 */
export type R1csWeights = 'constant' | 'committed';

/** Private weight inputs (committed weights): every weighted step's coefficients, then its constants. */
export const weightInputs = (secret: WeightValues | undefined) => (secret?.steps ?? []).reduce((a, st) => a + st.coefficients.length + st.constants.length, 0);

export const shapeOf = (layout: Layout, secret?: WeightValues): CircuitShape => ({
  publicOutputs: layout.publicSignals - 1,
  publicInputs: 1,
  privateInputs: layout.inputCount + weightInputs(secret),
});

const formOf = <L>(cs: ConstraintSystem<L>, f: IntForm, sig: readonly L[]): L =>
  cs.linear(f.c, f.i.map((id, j) => [sig[id]!, f.k[j]!] as const));

/** A weighted step's coefficients and constants as private wires (committed weights). */
export type SecretWires<L> = { coefficients: L[]; constants: L[] };

/**
 * A form whose coefficients and constant are wires: `Cb[o] + sum(W[j] * x_j)`, one product
 * constraint per term (circom's `P[j] <== W[j] * w[I[j]]`).
 */
function secretFormOf<L>(cs: ConstraintSystem<L>, f: IntForm, sig: readonly L[], w: SecretWires<L>, o: number, from: number): L {
  const terms = f.i.map((id, j) => [product(cs, w.coefficients[from + j]!, sig[id]!), 1n] as const);
  return cs.linear(0n, [[w.constants[o]!, 1n], ...terms]);
}

/** Runs step `s`'s gadgets, writing its outputs' combinations into `sig`. */
export function stepGadgets<L>(cs: ConstraintSystem<L>, s: Step, sig: L[], secret?: SecretWires<L>): void {
  const at = (o: number) => `node "${s.name}" output ${o}`;
  switch (s.kind) {
    case 'requant': {
      let from = 0;
      s.forms.forEach((f, o) => {
        const acc = secret ? secretFormOf(cs, f, sig, secret, o, from) : formOf(cs, f, sig);
        from += f.k.length;
        sig[s.out + o] = requant(cs, acc, s.bits[o]!, s.shift[o]!, s.act, at(o));
      });
      return;
    }
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
      s.num.forEach((f, o) => {
        const den = s.den[o]!;
        sig[s.out + o] = den.i.length === 0 ? divByConstant(cs, formOf(cs, f, sig), den.c, s.qBits, s.rBits, at(o)) : divFloor(cs, formOf(cs, f, sig), formOf(cs, den, sig), s.qBits, s.rBits, at(o));
      });
      return;
    case 'iszero':
      s.forms.forEach((f, o) => { sig[s.out + o] = isZero(cs, formOf(cs, f, sig), at(o)); });
      return;
    case 'rsqrt':
      s.forms.forEach((f, o) => { sig[s.out + o] = rsqrt(cs, formOf(cs, f, sig), s.K, s.rBits, s.slackBits, at(o)); });
      return;
  }
}

/** The private wires of committed weights, by step index (in witness mode, the model's values). */
export const secretWires = <L>(cs: ConstraintSystem<L>, secret: WeightValues | undefined): Map<number, SecretWires<L>> =>
  new Map((secret?.steps ?? []).map((st) => [st.k, {
    coefficients: st.coefficients.map((v) => cs.alloc(() => v)),
    constants: st.constants.map((v) => cs.alloc(() => v)),
  }] as const));

/**
 * Output values packed into words as the verifier reads them: `outputsPerWord` a word, the
 * first in the lowest bits, each offset by 2^(outputBits - 1).
 */
export function packOutputs<L>(cs: ConstraintSystem<L>, outs: readonly L[], layout: Pick<Layout, 'outputBits' | 'outputsPerWord'>): L[] {
  const half = 1n << BigInt(layout.outputBits - 1);
  const words: L[] = [];
  for (let k = 0; k * layout.outputsPerWord < outs.length; k++) {
    const group = outs.slice(k * layout.outputsPerWord, (k + 1) * layout.outputsPerWord);
    words.push(cs.linear(group.reduce((a, _, j) => a + (half << BigInt(layout.outputBits * j)), 0n), group.map((x, j) => [x, 1n << BigInt(layout.outputBits * j)] as const)));
  }
  return words;
}

export type Reserving<L> = ConstraintSystem<L> & { reserve(n: number): number[] };

/** InputCommit's chain: h_0 = seed, h_{c+1} = Poseidon(h_c, 7 chunks), missing chunks 0. */
export function commitChain<L>(cs: ConstraintSystem<L>, chunks: readonly L[], seed: L | Known): L {
  let h = seed;
  for (let c = 0; c < chunks.length; c += CHAIN_RATE) h = poseidon(cs, [h, ...Array.from({ length: CHAIN_RATE }, (_, j) => chunks[c + j] ?? { known: 0n })]);
  return h as L;
}

/**
 * circom's WeightCommit: each coefficient and constant offset by 2^(8 * width - 1), range
 * checked and packed as InputCommit does (31 \ width values a chunk), the two chains hashed
 * together by Poseidon(2). A list with no value commits one 0, as the circom path pads it.
 */
export function weightCommit<L>(cs: ConstraintSystem<L>, secret: WeightValues, wires: readonly SecretWires<L>[]): L {
  const { layout } = secret;
  const chain = (xs: L[], n: number, width: number, what: string) => {
    const padded = [...xs, ...Array.from({ length: n - xs.length }, () => cs.constant(0n))];
    const offset = 1n << BigInt(8 * width - 1);
    const chunks = inputPack(cs, padded.map((x) => plus(cs, x, offset)), width, Math.floor(31 / width), what);
    return commitChain(cs, chunks, { known: 0n });
  };
  const a = chain(wires.flatMap((w) => w.coefficients), layout.coefficients, layout.coefficientWidth, 'weight coefficient');
  const b = chain(wires.flatMap((w) => w.constants), layout.constants, layout.constantWidth, 'weight constant');
  return poseidon(cs, [a, b]);
}

/**
 * Builds the circuit on `cs`. `inputs` gives the private inputs' and the binding's values
 * (witness mode). Returns the program's signals (as combinations) for tests.
 */
export function synthesize<L>(cs: Reserving<L>, model: QuantizedModel, visibility: InputVisibility, inputs?: { u: readonly bigint[]; binding: bigint }, weights: R1csWeights = 'constant', mark: (part: string) => void = () => {}, onStep?: (k: number, s: Step) => void): L[] {
  const layout = layoutOf(model, visibility);
  if (weights === 'committed' && visibility !== 'committed') throw new Error('internal: committed weights seed the input commitment; they need input visibility committed');
  const secret = weights === 'committed' ? weightValues(model) : undefined;
  const shape = shapeOf(layout, secret);
  const publics = cs.reserve(shape.publicOutputs);
  const binding = cs.alloc(() => inputs!.binding);
  const u = Array.from({ length: layout.inputCount }, (_, i) => cs.alloc(() => inputs!.u[i]!));
  // The weights' private inputs, after the input (in witness mode their values are the model's).
  const wires = secretWires(cs, secret);
  if (cs instanceof SymbolicSystem) cs.firstInternal = cs.labels;

  const sig = new Array<L>(model.signalCount);
  u.forEach((x, i) => (sig[i] = x));
  const chunks = inputPack(cs, u, layout.inputWidth, layout.inputsPerChunk, 'input', model.inputBounds);
  mark('input range checks');
  // Without secret weights the input chain is seeded with 0 (known: its first S-boxes cost
  // nothing); with them, after the steps, with the weight commitment (as circom wires it).
  let commitment = visibility === 'committed' && !secret ? commitChain(cs, chunks, { known: 0n }) : undefined;
  mark('input commitment');
  model.steps.forEach((s, k) => { onStep?.(k, s); stepGadgets(cs, s, sig, wires.get(k)); mark(`node "${s.name}"`); });
  if (secret) { commitment = commitChain(cs, chunks, weightCommit(cs, secret, [...wires.values()])); mark('weight and input commitments'); }

  const words = packOutputs(cs, model.outputs.map((id) => sig[id]!), layout);
  const bound = visibility === 'committed' ? [commitment!] : visibility === 'public' ? chunks : [];
  [...words, ...bound].forEach((x, i) => cs.bindPublic(publics[i]!, x));
  // Bind: the binding squared, so the verifying key pins it.
  product(cs, binding, binding);
  mark('outputs and request binding');
  return sig;
}

/**
 * Constraints per part of the circuit, in circuit order: the input range checks, the input
 * commitment, each node's steps (`node "name"`), the outputs and binding. They sum to the circuit's
 * count (`npm run bench:r1cs` prints them).
 */
export function constraintParts(model: QuantizedModel, visibility: InputVisibility, weights: R1csWeights = 'constant'): { part: string; constraints: number }[] {
  const system = new SymbolicSystem();
  const parts: { part: string; constraints: number }[] = [];
  let counted = 0;
  synthesize(system, model, visibility, undefined, weights, (part) => {
    const n = system.store.count - counted;
    counted = system.store.count;
    // A node's steps come one after the other (a max tree, a clamp): one part.
    if (parts.at(-1)?.part === part) parts.at(-1)!.constraints += n; else parts.push({ part, constraints: n });
  });
  return parts;
}

/**
 * The circuit's constraints over labels, with the labels the public bindings eliminated.
 * `onStep` is called before each step's gadgets (progress on large models).
 */
export function buildConstraints(model: QuantizedModel, visibility: InputVisibility, weights: R1csWeights = 'constant', onStep?: (k: number, s: Step) => void): { system: SymbolicSystem; eliminated: number[]; shape: CircuitShape } {
  const system = new SymbolicSystem();
  synthesize(system, model, visibility, undefined, weights, undefined, onStep);
  const eliminated = system.finish();
  return { system, eliminated, shape: shapeOf(layoutOf(model, visibility), weights === 'committed' ? weightValues(model) : undefined) };
}

/** Every label's value for an encoded input and a binding (the witness before eliminations). */
export function computeValues(model: QuantizedModel, visibility: InputVisibility, u: readonly bigint[], binding: bigint, adversary?: Adversary, weights: R1csWeights = 'constant'): { values: bigint[]; signals: bigint[] } {
  const system = new ValueSystem(adversary);
  const signals = synthesize(system, model, visibility, { u, binding }, weights);
  return { values: system.values, signals };
}
