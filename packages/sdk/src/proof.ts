/** A Groth16 proof in snarkjs's JSON layout. */
export type SnarkjsProof = { pi_a: readonly string[]; pi_b: readonly (readonly string[])[]; pi_c: readonly string[] };

/**
 * Orders a snarkjs Groth16 proof as `Coprocessor.fulfill` takes it:
 * `[a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]` (G2 coordinates swapped, as in
 * snarkjs's Solidity calldata).
 *
 * @example
 * await coprocessor.write.fulfill([requestId, outputWords, toSolidityProof(proof)])
 */
export function toSolidityProof(p: SnarkjsProof): readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint] {
  const b = p.pi_b as string[][];
  return [
    BigInt(p.pi_a[0]!), BigInt(p.pi_a[1]!),
    BigInt(b[0]![1]!), BigInt(b[0]![0]!), BigInt(b[1]![1]!), BigInt(b[1]![0]!),
    BigInt(p.pi_c[0]!), BigInt(p.pi_c[1]!),
  ] as const;
}

/** Bits of a packed output word (below the BN254 field size), as `Coprocessor.decodeOutputs` uses. */
export const OUTPUT_WORD_BITS = 248;

/**
 * Unpacks a proved model's output words (the first public signals of its proof) into signed
 * fixed-point values at the model's output scale, exactly as `Coprocessor.decodeOutputs`
 * does on chain: `outputBits`-bit offset-encoded values, `floor(248 / outputBits)` to a word,
 * the first in the lowest bits. Decode only signals a verifier has accepted: a proof file's
 * other fields are claims, not answers.
 *
 * @example
 * const outputs = decodeOutputWords(model.io, publicSignals.slice(0, words).map(BigInt)) // [-3412n, 5672n]
 */
export function decodeOutputWords(io: { outputCount: number; outputBits: number }, words: readonly bigint[]): bigint[] {
  const perWord = Math.floor(OUTPUT_WORD_BITS / io.outputBits);
  const mask = (1n << BigInt(io.outputBits)) - 1n;
  const half = 1n << BigInt(io.outputBits - 1);
  return Array.from({ length: io.outputCount }, (_, i) => {
    const word = words[Math.floor(i / perWord)];
    if (word === undefined) throw new RangeError(`output ${i} needs word ${Math.floor(i / perWord)}, but only ${words.length} were given`);
    return ((word >> BigInt(io.outputBits * (i % perWord))) & mask) - half;
  });
}
