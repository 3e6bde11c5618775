import { buildPoseidon } from 'circomlibjs';
import type { QuantizedModel } from '../quantize/quantize.js';
import type { Layout } from './layout.js';

type Poseidon = Awaited<ReturnType<typeof buildPoseidon>>;
let poseidonPromise: Promise<Poseidon> | undefined;
const poseidon = () => (poseidonPromise ??= buildPoseidon());

/** Chunks a link of the InputCommit chain takes: Poseidon(8) hashes the previous link and 7 (contracts/src/Poseidon8.sol). */
export const CHAIN_RATE = 7;

/** Packs unsigned values of `width` bytes big-endian, `perChunk` to a field element. */
function pack(values: readonly bigint[], width: number, perChunk: number): bigint[] {
  const chunks: bigint[] = [];
  const base = 1n << BigInt(8 * width);
  for (let k = 0; k * perChunk < values.length; k++) {
    let acc = 0n;
    for (const v of values.slice(k * perChunk, (k + 1) * perChunk)) acc = acc * base + v;
    chunks.push(acc);
  }
  return chunks;
}

/** Packs unsigned input values big-endian into field elements, as the circuit and the Coprocessor do. */
export function packInputs(layout: Layout, u: readonly bigint[]): bigint[] {
  return pack(u, layout.inputWidth, layout.inputsPerChunk);
}

/** The InputCommit chain: h_0 = seed, h_{c+1} = Poseidon(h_c, 7 chunks) (missing chunks are 0). */
async function chain(chunks: readonly bigint[], seed: bigint): Promise<bigint> {
  const p = await poseidon();
  let h = seed;
  for (let c = 0; c < chunks.length; c += CHAIN_RATE) {
    const block = [h, ...Array.from({ length: CHAIN_RATE }, (_, j) => chunks[c + j] ?? 0n)];
    h = p.F.toObject(p(block)) as bigint;
  }
  return h;
}

/**
 * The Poseidon(8) chain over the packed input: the value the request stores and the proof
 * exposes. `seed` is the model's weight commitment for models compiled with committed
 * weights (so one public signal binds both), else 0.
 */
export async function inputCommitment(layout: Layout, u: readonly bigint[], seed = 0n): Promise<bigint> {
  return chain(packInputs(layout, u), seed);
}

/**
 * Weights kept out of the circuit (`--weights committed`): every weighted step's integer
 * coefficients and constants, offset-encoded at a fixed width so packing is injective.
 */
export type WeightLayout = { coefficients: number; coefficientWidth: number; constants: number; constantWidth: number };
export type WeightValues = { steps: { k: number; coefficients: bigint[]; constants: bigint[] }[]; layout: WeightLayout };

const widthFor = (values: readonly bigint[]) => {
  let m = 0n;
  for (const v of values) { const a = v < 0n ? -v : v; if (a > m) m = a; }
  let w = 1;
  while (m >= 1n << BigInt(8 * w - 1)) w++;
  return w;
};

/** The secret weights of a model, in circuit order (steps whose coefficients are weights). */
export function weightValues(model: QuantizedModel): WeightValues {
  const steps = model.steps.flatMap((s, k) => (s.kind === 'requant' && s.weights ? [{ k, coefficients: s.forms.flatMap((f) => f.k), constants: s.forms.map((f) => f.c) }] : []));
  const all = steps.flatMap((s) => s.coefficients), consts = steps.flatMap((s) => s.constants);
  return { steps, layout: { coefficients: Math.max(1, all.length), coefficientWidth: widthFor(all), constants: Math.max(1, consts.length), constantWidth: widthFor(consts) } };
}

const perChunkOf = (width: number) => Math.floor(31 / width);

/**
 * Poseidon(commit(coefficients), commit(constants)), each an InputCommit chain over the
 * values offset by 2^(8 * width - 1): what the registry pins for a model with secret weights.
 */
export async function weightCommitment({ steps, layout }: WeightValues): Promise<bigint> {
  const offset = (w: number) => 1n << BigInt(8 * w - 1);
  const encode = (xs: bigint[], n: number, w: number) => [...xs, ...Array<bigint>(n - xs.length).fill(0n)].map((v) => v + offset(w));
  const cs = encode(steps.flatMap((s) => s.coefficients), layout.coefficients, layout.coefficientWidth);
  const ks = encode(steps.flatMap((s) => s.constants), layout.constants, layout.constantWidth);
  const a = await chain(pack(cs, layout.coefficientWidth, perChunkOf(layout.coefficientWidth)), 0n);
  const b = await chain(pack(ks, layout.constantWidth, perChunkOf(layout.constantWidth)), 0n);
  const p = await poseidon();
  return p.F.toObject(p([a, b])) as bigint;
}

/** Encodes unsigned input values as the `bytes` a request carries: `inputWidth` bytes each, big-endian. */
export function encodeInputBytes(layout: Layout, u: readonly bigint[]): `0x${string}` {
  return `0x${u.map((v) => v.toString(16).padStart(2 * layout.inputWidth, '0')).join('')}`;
}

/** Reads the `bytes` of a request back into unsigned input values (the inverse of {@link encodeInputBytes}). */
export function decodeInputBytes(layout: Layout, input: `0x${string}`): bigint[] {
  const hex = input.slice(2);
  const step = 2 * layout.inputWidth;
  return Array.from({ length: hex.length / step }, (_, i) => BigInt(`0x${hex.slice(i * step, (i + 1) * step)}`));
}

/** Splits the packed public output words into signed integers (at the model's output scale), as the Coprocessor does. */
export function unpackOutputs(layout: Layout, words: readonly bigint[]): bigint[] {
  if (words.length < layout.outputWords) throw new RangeError(`${layout.outputCount} outputs need ${layout.outputWords} words, but only ${words.length} were given`);
  const bits = BigInt(layout.outputBits);
  // Word w holds outputs w*k .. w*k+k-1 (k = outputsPerWord), the first in the lowest bits, each offset by 2^(bits-1).
  return Array.from({ length: layout.outputCount }, (_, i) =>
    BigInt.asUintN(layout.outputBits, words[Math.floor(i / layout.outputsPerWord)]! >> (bits * BigInt(i % layout.outputsPerWord))) - (1n << (bits - 1n)));
}
