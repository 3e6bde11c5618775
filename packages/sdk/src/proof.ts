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
