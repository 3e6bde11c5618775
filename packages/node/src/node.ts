import { EventEmitter } from 'node:events';
import type { Address, Hex, PublicClient } from 'viem';
import pino from 'pino';
import { coprocessorAbi, decodeRevert, nodeRegistryAbi, requestBinding, RequestStatus, toSolidityProof, type SnarkjsProof, type Wallet } from '@verity/sdk';
import { decodeInputBytes, Prover } from '@verity/zkml';

/** Structured logger (pino's signature). */
export type Logger = Pick<pino.Logger, 'info' | 'warn' | 'error' | 'debug'>;

export type JobState = 'queued' | 'waiting' | 'proving' | 'submitting' | 'fulfilled' | 'skipped' | 'failed';

/** One request the node works on, with what it measured. */
export type Job = {
  requestId: bigint;
  modelId: Hex;
  input: Hex;
  requestedAt: number;
  state: JobState;
  proveMs?: number;
  fulfilTx?: Hex;
  fulfilGasUsed?: bigint;
  outputs?: number[];
  /** the proof and public signals submitted (for audit and gas measurement) */
  proof?: SnarkjsProof;
  publicSignals?: string[];
  error?: string;
};

export type NodeOptions = {
  publicClient: PublicClient;
  wallet: Wallet;
  coprocessor: Address;
  /** the models this node serves: registry id and compiled artefact directory */
  models: readonly { modelId: Hex; dir: string }[];
  /** first block to scan; defaults to the current head */
  fromBlock?: bigint;
  pollMs?: number;
  /** largest block range per eth_getLogs call */
  maxBlockRange?: bigint;
  logger?: Logger;
};

/** A running node: its jobs, `job` events on every state change, and `stop()`. */
export type VerityNode = EventEmitter & { jobs: Map<bigint, Job>; stop(): Promise<void>; address: Address };

/**
 * Starts a proving node: watches `Requested` events by polling `eth_getLogs` over bounded
 * block ranges, proves each request for a model it serves (bound to the request id and
 * its own address), and calls `fulfill` with enough gas for the paid callback.
 *
 * @example
 * const node = await startNode({ publicClient, wallet, coprocessor, models: [{ modelId, dir: 'build/spam' }] })
 * node.on('job', (job) => console.log(job.requestId, job.state))
 */
export async function startNode(options: NodeOptions): Promise<VerityNode> {
  const { publicClient, wallet, coprocessor } = options;
  const log = options.logger ?? pino({ name: 'verity-node' });
  const pollMs = options.pollMs ?? 500;
  const maxRange = options.maxBlockRange ?? 1_000n;
  const chainId = await publicClient.getChainId();
  const provers = new Map<Hex, Prover>();
  for (const m of options.models) provers.set(m.modelId.toLowerCase() as Hex, await Prover.load(m.dir));

  const node = new EventEmitter() as VerityNode;
  node.jobs = new Map();
  node.address = wallet.account.address;
  const queue: Job[] = [];
  /** requests assigned to another node: tried once their exclusive window is over */
  const deferred: { job: Job; until: number }[] = [];
  const me = wallet.account.address.toLowerCase();
  const nodes = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'nodes' });
  if (!(await publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'isActive', args: [wallet.account.address] }))) {
    log.warn({ operator: wallet.account.address, nodes }, 'this operator is not staked in the NodeRegistry: the Coprocessor will refuse its fulfilments (register with a stake first)');
  }
  let cursor = options.fromBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
  let stopped = false;
  let wake: (() => void) | undefined;

  const update = (job: Job, patch: Partial<Job>) => {
    Object.assign(job, patch);
    node.emit('job', job);
  };

  async function scan() {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    while (cursor <= head && !stopped) {
      const to = cursor + maxRange - 1n < head ? cursor + maxRange - 1n : head;
      const events = await publicClient.getContractEvents({ address: coprocessor, abi: coprocessorAbi, eventName: 'Requested', fromBlock: cursor, toBlock: to });
      for (const e of events) {
        const { requestId, modelId, input } = e.args as { requestId: bigint; modelId: Hex; input: Hex };
        if (!provers.has(modelId.toLowerCase() as Hex) || node.jobs.has(requestId)) continue;
        const job: Job = { requestId, modelId, input, requestedAt: Date.now(), state: 'queued' };
        node.jobs.set(requestId, job);
        queue.push(job);
        log.info({ requestId: requestId.toString(), modelId, block: e.blockNumber.toString() }, 'request seen');
        node.emit('job', job);
      }
      cursor = to + 1n;
    }
  }

  async function work(job: Job) {
    const r = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [job.requestId] });
    const status = RequestStatus[r.status];
    if (status !== 'Pending') {
      update(job, { state: 'skipped', error: `request is ${status}` });
      return;
    }
    // Another node was drawn for this request: it has the request alone until its window ends.
    const until = Number(r.exclusiveUntil) * 1000 + 1000;
    if (r.primary.toLowerCase() !== me && Date.now() < until) {
      log.info({ requestId: job.requestId.toString(), primary: r.primary, until: new Date(until).toISOString() }, 'assigned to another node; waiting for its window to end');
      update(job, { state: 'waiting' });
      deferred.push({ job, until });
      return;
    }
    const prover = provers.get(job.modelId.toLowerCase() as Hex)!;
    const encoded = decodeInputBytes(prover.compiled.report.layout, job.input);
    update(job, { state: 'proving' });
    const binding = requestBinding({ chainId, coprocessor, requestId: job.requestId, prover: wallet.account.address });
    const t0 = performance.now();
    const result = await prover.prove({ encoded }, binding);
    const proveMs = performance.now() - t0;
    log.info({ requestId: job.requestId.toString(), proveMs: Math.round(proveMs), outputs: result.outputs }, 'proved');
    update(job, { state: 'submitting', proveMs, outputs: result.outputs, proof: result.proof, publicSignals: result.publicSignals });
    const words = result.publicSignals.slice(0, prover.compiled.report.layout.outputWords).map(BigInt);
    const { request } = await publicClient.simulateContract({
      account: wallet.account, address: coprocessor, abi: coprocessorAbi, functionName: 'fulfill',
      args: [job.requestId, words, toSolidityProof(result.proof)],
    });
    const gas = await publicClient.estimateContractGas({ ...request, account: wallet.account });
    // A margin on top of the estimate: the callback must get its full paid gas (63/64 rule).
    const hash = await wallet.writeContract({ ...request, gas: (gas * 12n) / 10n });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`fulfil transaction ${hash} reverted`);
    log.info({ requestId: job.requestId.toString(), tx: hash, gasUsed: receipt.gasUsed.toString() }, 'fulfilled');
    update(job, { state: 'fulfilled', fulfilTx: hash, fulfilGasUsed: receipt.gasUsed });
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await scan();
        for (let i = deferred.length - 1; i >= 0; i--) {
          if (deferred[i]!.until <= Date.now()) queue.push(deferred.splice(i, 1)[0]!.job);
        }
        while (queue.length > 0 && !stopped) {
          const job = queue.shift()!;
          try {
            await work(job);
          } catch (e) {
            const err = decodeRevert(e) as Error;
            log.error({ requestId: job.requestId.toString(), err: (err as { shortMessage?: string }).shortMessage ?? err.message }, 'job failed');
            update(job, { state: 'failed', error: (err as { shortMessage?: string }).shortMessage ?? err.message });
          }
        }
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'poll failed; retrying');
      }
      await new Promise<void>((r) => { wake = r; setTimeout(r, pollMs); });
    }
  })();

  node.stop = async () => {
    stopped = true;
    wake?.();
    await loop;
  };
  return node;
}
