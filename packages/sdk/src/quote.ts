// What a request will cost before it is sent: the fee it escrows, the gas of its own transaction
// (simulated), and the gas the network spends to answer it (from the contracts' measured costs).
import type { Address, Hex, PublicClient } from 'viem';
import type { VerityAddresses } from './deploy.js';
import { coprocessorAbi, modelRegistryAbi, nodeRegistryAbi } from './generated/contracts.js';
import { modeName } from './mode.js';

/**
 * Gas the network spends to answer one request, measured on anvil by the benches (BENCHMARKS.md;
 * intrinsic gas and calldata included; the app's own callback excluded: add its gas limit).
 */
export const ANSWER_GAS = {
  /** proved, one proof per answer (`fulfill`; the demo spam model, 3 public signals): "Batched fulfilment", `fulfill` row */
  proved: 428_000n,
  /** proved, each answer's share of a `fulfillBatch` of 16 requests: "Batched fulfilment", 16-request row */
  provedBatched: 145_000n,
  /**
   * proved, each answer's share of a `fulfillRequests` of 16 requests in ONE proof (a model
   * version with a request-batch verifier, `verity compile --requests 16`): "Batched
   * fulfilment", `fulfillRequests` 16-request row
   */
  provedRequestBatch: 39_000n,
  /**
   * agreed, a 5-member committee with 5 staked validators and signed ballots, every transaction
   * after the request (`proposeSigned`: the draw, the proposal and the ballots; `revealMany`;
   * finalisation): "Agreed mode" (596,630 in all less the request's 168,874: 427,756)
   */
  agreed: 428_000n,
  /** agreed: the draw reads more levels of the stake tree as more operators serve: about this much more per operator beyond 5 (12 validators: 610,754, 14k more than 5) */
  agreedPerExtraOperator: 2_000n,
  /** agreed, members sending their own commits and reveals instead (no ballot box reachable): 7 more transactions (908,614 less the request) */
  agreedOnChainBallots: 740_000n,
} as const;

/** The expected costs of a request, before sending it. */
export type GasQuote = {
  mode: 'proved' | 'agreed';
  /** wei the request escrows (`Coprocessor.quote`): the node's, the model owner's and the protocol's fees */
  fee: bigint;
  /** gas of the request transaction, simulated (`eth_estimateGas`) */
  requestGas: bigint;
  /** the callback gas the requester pays for (the app's callback uses at most this) */
  callbackGasLimit: number;
  /**
   * gas the network spends to answer it, callback limit included: proved `single` (one proof),
   * `batched` (its share of a `fulfillBatch` of 16) and `requestBatch` (its share of one proof
   * for 16 requests, when the model version has a request-batch verifier); agreed `expected`
   * (signed ballots) and `onChainBallots` (each member sends its own)
   */
  answerGas: { single: bigint; batched: bigint; requestBatch: bigint } | { expected: bigint; onChainBallots: bigint };
  /** the requester's transaction at the current gas price, in wei (`requestGas * gasPrice`) */
  requestCost: bigint;
  gasPrice: bigint;
};

export type QuoteRequestParameters = { modelId: Hex; input: Hex; callbackGasLimit: number; version?: number; account: Address };

/**
 * The fee, the request's simulated gas and the expected gas of its answer (see {@link ANSWER_GAS}).
 * Sends nothing.
 *
 * @example
 * const q = await quoteRequest(publicClient, addresses, { modelId, input: '0x8081', callbackGasLimit: 200_000, account })
 * // q.fee wei to send; q.requestGas for the request; q.answerGas for the network's side
 */
export async function quoteRequest(publicClient: PublicClient, addresses: VerityAddresses, p: QuoteRequestParameters): Promise<GasQuote> {
  const [fee, model, gasPrice] = await Promise.all([
    publicClient.readContract({ address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'quote', args: [p.modelId, p.callbackGasLimit] }),
    publicClient.readContract({ address: addresses.registry, abi: modelRegistryAbi, functionName: 'getModel', args: [p.modelId] }),
    publicClient.getGasPrice(),
  ]);
  const target = { address: addresses.coprocessor, abi: coprocessorAbi, value: fee, account: p.account } as const;
  const requestGas = p.version === undefined
    ? await publicClient.estimateContractGas({ ...target, functionName: 'request', args: [p.modelId, p.input, p.callbackGasLimit] })
    : await publicClient.estimateContractGas({ ...target, functionName: 'requestVersion', args: [p.modelId, p.version, p.input, p.callbackGasLimit] });
  const callback = BigInt(p.callbackGasLimit);
  const base = { fee, requestGas, callbackGasLimit: p.callbackGasLimit, requestCost: requestGas * gasPrice, gasPrice };
  if (modeName(model.mode) === 'proved') {
    return {
      ...base, mode: 'proved',
      answerGas: { single: ANSWER_GAS.proved + callback, batched: ANSWER_GAS.provedBatched + callback, requestBatch: ANSWER_GAS.provedRequestBatch + callback },
    };
  }
  const servers = BigInt((await publicClient.readContract({ address: addresses.nodes, abi: nodeRegistryAbi, functionName: 'serversOf', args: [p.modelId] })).length);
  const extra = servers > 5n ? (servers - 5n) * ANSWER_GAS.agreedPerExtraOperator : 0n;
  return {
    ...base, mode: 'agreed',
    answerGas: { expected: ANSWER_GAS.agreed + extra + callback, onChainBallots: ANSWER_GAS.agreedOnChainBallots + extra + callback },
  };
}
