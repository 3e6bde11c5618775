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

/**
 * The one public signal that ties a request-batch proof to its requests, in slot order, and one
 * prover, as `Coprocessor.requestsBinding` computes it: `keccak256(abi.encode(chainId,
 * coprocessor, prover, requestIds)) >> 4`.
 *
 * @example
 * const binding = requestsBinding({ chainId: 31337, coprocessor, requestIds: [4n, 7n], prover: account.address })
 */
export function requestsBinding(p: { chainId: number | bigint; coprocessor: Address; requestIds: readonly bigint[]; prover: Address }): bigint {
  const encoded = encodeAbiParameters(
    [{ type: 'uint256' }, { type: 'address' }, { type: 'address' }, { type: 'uint256[]' }],
    [BigInt(p.chainId), p.coprocessor, p.prover, p.requestIds],
  );
  return BigInt(keccak256(encoded)) >> 4n;
}
