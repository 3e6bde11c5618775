import { buildPoseidon } from 'circomlibjs';
import type { Layout } from './layout.js';

type Poseidon = Awaited<ReturnType<typeof buildPoseidon>>;
let poseidonPromise: Promise<Poseidon> | undefined;
const poseidon = () => (poseidonPromise ??= buildPoseidon());

/** Packs unsigned input values big-endian into field elements, as the circuit and the Coprocessor do. */
export function packInputs(layout: Layout, u: readonly bigint[]): bigint[] {
  const chunks: bigint[] = [];
  const base = 1n << BigInt(8 * layout.inputWidth);
  for (let k = 0; k < layout.inputChunks; k++) {
    let acc = 0n;
    for (const v of u.slice(k * layout.inputsPerChunk, (k + 1) * layout.inputsPerChunk)) acc = acc * base + v;
    chunks.push(acc);
  }
  return chunks;
}

/** The Poseidon(6) chain over the packed input: the value the request stores and the proof exposes. */
export async function inputCommitment(layout: Layout, u: readonly bigint[]): Promise<bigint> {
  const p = await poseidon();
  const chunks = packInputs(layout, u);
  let h = 0n;
  for (let c = 0; c < chunks.length; c += 5) {
    const block = [h, ...Array.from({ length: 5 }, (_, j) => chunks[c + j] ?? 0n)];
    h = p.F.toObject(p(block)) as bigint;
  }
  return h;
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

/** Splits the packed public output words into signed integers (at the model's output scale). */
export function unpackOutputs(layout: Layout, words: readonly bigint[]): bigint[] {
  const mask = (1n << BigInt(layout.outputBits)) - 1n;
  const half = 1n << BigInt(layout.outputBits - 1);
  return Array.from({ length: layout.outputCount }, (_, i) => {
    const word = words[Math.floor(i / layout.outputsPerWord)]!;
    return ((word >> BigInt(layout.outputBits * (i % layout.outputsPerWord))) & mask) - half;
  });
}
