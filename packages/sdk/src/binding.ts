import { encodeAbiParameters, keccak256, type Address } from 'viem';

/**
 * The public signal that ties a proof to one request and one prover, as
 * `Coprocessor.requestBinding` computes it: `keccak256(abi.encode(chainId, coprocessor,
 * requestId, prover)) >> 4`.
 *
 * @example
 * const binding = requestBinding({ chainId: 31337, coprocessor, requestId: 1n, prover: account.address })
 */
export function requestBinding(p: { chainId: number | bigint; coprocessor: Address; requestId: bigint; prover: Address }): bigint {
  const encoded = encodeAbiParameters(
    [{ type: 'uint256' }, { type: 'address' }, { type: 'uint256' }, { type: 'address' }],
    [BigInt(p.chainId), p.coprocessor, p.requestId, p.prover],
  );
  return BigInt(keccak256(encoded)) >> 4n;
}
