import type { Abi, Address, ContractEventName, GetContractEventsParameters, GetContractEventsReturnType, PublicClient } from 'viem';

/**
 * Largest block range per `eth_getLogs` call when none is given: public RPC endpoints
 * commonly refuse ranges above a few thousand blocks, and a short range keeps each answer small.
 */
export const DEFAULT_LOG_RANGE = 1_000n;

/** What {@link getLogsBounded} and {@link findLatestLog} read: one event of one contract. */
export type BoundedLogsParameters<abi extends Abi, eventName extends ContractEventName<abi>> = {
  address: Address;
  abi: abi;
  eventName: eventName;
  /** indexed arguments to filter on */
  args?: GetContractEventsParameters<abi, eventName>['args'];
  /** first block to read: the deployment's, a request's, a node's cursor; never 0 by default */
  fromBlock: bigint;
  /** last block to read (default: the head, read once) */
  toBlock?: bigint;
  /** blocks per call (default {@link DEFAULT_LOG_RANGE}) */
  maxRange?: bigint;
};

type Logs<abi extends Abi, eventName extends ContractEventName<abi>> = GetContractEventsReturnType<abi, eventName, true>;

/** The `[from, to]` chunks of at most `range` blocks, in order or latest first. */
function* chunks(from: bigint, to: bigint, range: bigint, latestFirst: boolean): Generator<[bigint, bigint]> {
  if (range < 1n) throw new RangeError(`maxRange must be at least 1 block (got ${range})`);
  if (latestFirst) {
    for (let hi = to; hi >= from; hi -= range) yield [hi - range + 1n > from ? hi - range + 1n : from, hi];
  } else {
    for (let lo = from; lo <= to; lo += range) yield [lo, lo + range - 1n < to ? lo + range - 1n : to];
  }
}

async function read<const abi extends Abi, eventName extends ContractEventName<abi>>(
  publicClient: PublicClient, p: BoundedLogsParameters<abi, eventName>, from: bigint, to: bigint,
): Promise<Logs<abi, eventName>> {
  return (await publicClient.getContractEvents({
    address: p.address, abi: p.abi, eventName: p.eventName, args: p.args, fromBlock: from, toBlock: to, strict: true,
  } as never)) as Logs<abi, eventName>;
}

/**
 * Reads one contract event over `[fromBlock, toBlock]` in `eth_getLogs` calls of at most
 * `maxRange` blocks, oldest first. The one way Verity's packages read logs: a scan always
 * starts from a known block (the deployment's, a request's, a node's cursor), never from 0,
 * and never asks an RPC endpoint for more blocks than it serves.
 *
 * @example
 * const logs = await getLogsBounded(publicClient, { address: coprocessor, abi: coprocessorAbi, eventName: 'Requested', fromBlock: deployment.block })
 */
export async function getLogsBounded<const abi extends Abi, eventName extends ContractEventName<abi>>(
  publicClient: PublicClient,
  p: BoundedLogsParameters<abi, eventName>,
): Promise<Logs<abi, eventName>> {
  const to = p.toBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
  const out = [] as unknown as Logs<abi, eventName>;
  for (const [a, b] of chunks(p.fromBlock, to, p.maxRange ?? DEFAULT_LOG_RANGE, false)) out.push(...(await read(publicClient, p, a, b)));
  return out;
}

/**
 * The latest log of one event in `[fromBlock, toBlock]`, reading backwards from `toBlock` in
 * chunks of at most `maxRange` blocks and stopping at the first chunk that has one: a
 * lookup near a known block (a request's, the head) costs one or two calls however old the
 * deployment. `undefined` if there is none in the range.
 *
 * @example
 * const fulfilled = await findLatestLog(publicClient, { address: coprocessor, abi: coprocessorAbi, eventName: 'Fulfilled', args: { requestId }, fromBlock: request.drawBlock })
 */
export async function findLatestLog<const abi extends Abi, eventName extends ContractEventName<abi>>(
  publicClient: PublicClient,
  p: BoundedLogsParameters<abi, eventName>,
): Promise<Logs<abi, eventName>[number] | undefined> {
  const to = p.toBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
  for (const [a, b] of chunks(p.fromBlock, to, p.maxRange ?? DEFAULT_LOG_RANGE, true)) {
    const logs = await read(publicClient, p, a, b);
    if (logs.length > 0) return logs.at(-1);
  }
  return undefined;
}
