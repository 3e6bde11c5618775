import { decodeFunctionData, type Hex, type PublicClient } from 'viem';
import { coprocessorAbi } from './generated/contracts.js';

/** What one proved answer's fulfilment transaction shows about it. */
export type ProvedFulfilment = {
  /**
   * Gas the answer cost: the transaction's `gasUsed` (proof check, payments, callback), or for a
   * `fulfillBatch` or `fulfillRequests` of N requests its N-th share, rounded down.
   */
  gas: bigint;
  /** requests the transaction answered (1 for `fulfill`) */
  batchSize: number;
  /** the request's Groth16 proof as sent (`Coprocessor.fulfill`'s order; a request batch's one proof); absent when the call went through another contract */
  proof?: readonly bigint[];
};

/**
 * Reads a proved request's fulfilment from its transaction: the gas of its answer (its share of
 * a batch) and its proof, decoded from `fulfill`, `fulfillBatch` or `fulfillRequests` calldata.
 *
 * @example
 * const { gas, batchSize } = await provedFulfilment(publicClient, fulfilled.transactionHash, requestId)
 */
export async function provedFulfilment(publicClient: PublicClient, hash: Hex, requestId: bigint): Promise<ProvedFulfilment> {
  const [tx, receipt] = await Promise.all([publicClient.getTransaction({ hash }), publicClient.getTransactionReceipt({ hash })]);
  let call: ReturnType<typeof decodeFunctionData<typeof coprocessorAbi>> | undefined;
  try {
    call = decodeFunctionData({ abi: coprocessorAbi, data: tx.input });
  } catch {
    // fulfilled through a contract that wraps the call: the proof stays in that transaction
  }
  if (call?.functionName === 'fulfillRequests') {
    // One proof for the whole request batch: every answer shows it.
    const ids = call.args[0] as readonly bigint[];
    return { gas: receipt.gasUsed / BigInt(ids.length), batchSize: ids.length, proof: call.args[2] as readonly bigint[] };
  }
  if (call?.functionName === 'fulfillBatch') {
    const ids = call.args[0] as readonly bigint[];
    const i = ids.indexOf(requestId);
    return { gas: receipt.gasUsed / BigInt(ids.length), batchSize: ids.length, proof: i >= 0 ? (call.args[2] as readonly (readonly bigint[])[])[i] : undefined };
  }
  return { gas: receipt.gasUsed, batchSize: 1, proof: call?.functionName === 'fulfill' ? (call.args[2] as readonly bigint[]) : undefined };
}
