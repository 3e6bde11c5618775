import { parseEventLogs, type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hex, type Log, type PublicClient, type TransactionReceipt } from 'viem';
import { TransactionRevertedError } from '@verity/errors';
import { decodeRevert } from './errors/contract.js';
import type { Wallet } from './deploy.js';
import { committeeAbi, coprocessorAbi, modelRegistryAbi, nodeRegistryAbi } from './generated/contracts.js';

/**
 * The one margin Verity adds to a gas estimate (the sdk's sends and every transaction a node
 * sends): 30% of the estimate plus 20,000 gas. A transaction's cost can grow between the estimate
 * and its inclusion (a request that opens an agreed-mode task, a fulfilment that fixes its draw,
 * a committee reveal that tallies, a callback reading state that moved), and a callback must get
 * its full paid gas under the 63/64 rule.
 */
export const GAS_MARGIN = { percent: 30n, extra: 20_000n } as const;

/**
 * The gas limit for an estimate: the estimate plus {@link GAS_MARGIN}.
 *
 * @example
 * await wallet.writeContract({ ...call, gas: withGasMargin(await publicClient.estimateContractGas(call)) })
 */
export const withGasMargin = (estimate: bigint): bigint => estimate + (estimate * GAS_MARGIN.percent) / 100n + GAS_MARGIN.extra;


/** Every event of the protocol's contracts (Coprocessor, ModelRegistry, NodeRegistry, Committee). */
const protocolAbi = [...coprocessorAbi, ...modelRegistryAbi, ...nodeRegistryAbi, ...committeeAbi];

/** A decoded protocol event: `eventName` and typed `args`, with the log's address, block and transaction. */
export type VerityEvent = ReturnType<typeof parseEventLogs<typeof protocolAbi>>[number];

/**
 * Decodes the protocol's events among `logs` (a receipt's, or `eth_getLogs`'), skipping
 * everyone else's: requests, fulfilments, refunds, assignments, committee rounds and votes,
 * registrations, stakes and slashes.
 *
 * @example
 * const receipt = await publicClient.waitForTransactionReceipt({ hash })
 * for (const e of decodeVerityEvents(receipt.logs)) if (e.eventName === 'Requested') console.log(e.args.requestId)
 */
export function decodeVerityEvents(logs: readonly Log[]): VerityEvent[] {
  return parseEventLogs({ abi: protocolAbi, logs: [...logs] });
}

/** The ids of the requests a transaction made (its `Requested` events), in order. */
export function requestIdsOf(receipt: Pick<TransactionReceipt, 'logs'>): bigint[] {
  return parseEventLogs({ abi: coprocessorAbi, logs: receipt.logs, eventName: 'Requested' }).map((e) => e.args.requestId);
}

/**
 * Sends a contract call and waits for it: simulates first, so a revert becomes a
 * {@link ContractRevertError} naming the custom error and its arguments (never a raw blob);
 * pads the gas estimate with {@link withGasMargin}; throws if the mined transaction reverted.
 * Returns the receipt and the ids of any Verity requests the call made.
 *
 * @example
 * const { requestIds } = await sendContract(publicClient, wallet, {
 *   address: dao, abi: moderationDAOAbi, functionName: 'submitPost', args: [text], value: fee,
 * })
 * const answer = await verity.waitForResult(requestIds[0]!)
 */
export async function sendContract<const abi extends Abi, name extends ContractFunctionName<abi, 'payable' | 'nonpayable'>>(
  publicClient: PublicClient,
  wallet: Wallet,
  call: { address: Address; abi: abi; functionName: name; args?: ContractFunctionArgs<abi, 'payable' | 'nonpayable', name>; value?: bigint },
): Promise<{ hash: Hex; receipt: TransactionReceipt; requestIds: bigint[] }> {
  let hash: Hex;
  try {
    const c = { ...(call as object), account: wallet.account } as never;
    const { request } = await publicClient.simulateContract(c);
    const gas = withGasMargin(await publicClient.estimateContractGas(c));
    hash = await wallet.writeContract({ ...(request as object), gas } as never);
  } catch (e) {
    throw decodeRevert(e);
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new TransactionRevertedError({ functionName: call.functionName, hash, gasUsed: receipt.gasUsed });
  return { hash, receipt, requestIds: requestIdsOf(receipt) };
}
