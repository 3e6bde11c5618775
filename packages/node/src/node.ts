import { EventEmitter } from 'node:events';
import type { Address, Hex, LocalAccount, PublicClient } from 'viem';
import { DEFAULT_LOG_RANGE, type Wallet } from '@verity/sdk';
import type { BackendChoice } from '@verity/zkml';
import { ProvedJobs } from './jobs.js';
import { createLogger, type Logger } from './log.js';
import { pollChain, validateAgreed, workJobs } from './loops.js';
import type { StatusServer } from './metrics.js';
import type { ProvingBackend } from './proving.js';
import { DEFAULT_REORG_DEPTH, RequestScanner } from './scanner.js';
import {
  connectProving, connectValidator, loadModels, loadRequestBatches, openStore, optInToModels, protocolContracts, warnIfNotStaked, type ProvingOption,
} from './startup.js';
import { NodeState } from './state.js';
import { serveNodeStatus } from './status.js';
import { JobStore, type Job } from './store.js';
import { TxManager } from './txmanager.js';
import type { AgreedOptions, Validator } from './validator.js';
import { serveBallotBox, type BallotBox } from './ballotBox.js';

export type { Job, JobState } from './store.js';
export type { Logger } from './log.js';
export { StoreMismatchError } from './startup.js';

export type NodeOptions = {
  publicClient: PublicClient;
  wallet: Wallet;
  coprocessor: Address;
  /** the models this node serves: registry id and compiled artefact directory */
  models: readonly { modelId: Hex; dir: string }[];
  /** the Groth16 engine for in-process proving (default VERITY_PROVER, else native when built) */
  prover?: { backend?: BackendChoice; threads?: number };
  /** the job store: a SQLite file path (default: in memory, lost on exit) or an open store */
  store?: string | JobStore;
  /** first block to scan on a fresh store; defaults to the current head. A store's cursor wins. */
  fromBlock?: bigint;
  pollMs?: number;
  /** largest block range per eth_getLogs call */
  maxBlockRange?: bigint;
  /**
   * Blocks below the cursor re-read on every poll (default 12): a request that a reorg this
   * deep removes, or replaces by another with the same id and a different input, is noticed
   * before it is proved. 0 on a chain with instant finality.
   */
  reorgDepth?: number;
  /**
   * The block the contracts were deployed at (a deployment file's `block`): look-ups of older
   * events (an agreed model's rule, a request's input), which read backwards from the head and
   * stop at the first match, never read below it (default 0).
   */
  deploymentBlock?: bigint;
  /** blocks on top of a fulfilment before the job is final (default 1) */
  confirmations?: number;
  /** a fulfilment still pending after this long (ms) is replaced with higher fees (default 15 s) */
  bumpAfterMs?: number;
  /** tries per request before it is marked failed (RPC outages do not count) */
  maxAttempts?: number;
  /**
   * Batched fulfilment (default on, `{ maxSize: 16, waitMs: 2000 }`): proofs of one model whose
   * verifier has `verifyBatch` are sent together in one `fulfillBatch` of up to `maxSize`, once
   * no other request of the model is ready to prove, the batch is full, or its oldest proof has
   * waited `waitMs`. A batch that would revert is sent again one request at a time. `false`: one
   * `fulfill` per request.
   */
  batch?: false | { maxSize?: number; waitMs?: number };
  /**
   * Opts the operator in (`NodeRegistry.serveModel`) to each model it serves, proved and
   * agreed, that it does not serve on chain yet (default true). Operators are drawn only for
   * the models they opted in to, and the Coprocessor takes fulfilments only from them.
   */
  optIn?: boolean;
  /** checks each model's artefacts against its registry entry before serving it (default true) */
  verifyArtefacts?: boolean;
  /** serve /health and /metrics on this port (0: any free port) */
  statusPort?: number;
  statusHost?: string;
  /**
   * Where proofs are computed: in this process (default, one at a time) or by
   * `verity node worker` processes behind a BullMQ queue on Redis (`{ redis: 'redis://…' }`),
   * with up to `concurrency` proofs in flight.
   */
  proving?: ProvingOption;
  /**
   * Agreed mode: the models this node validates in the Committee (read from the Coprocessor's
   * `committee()`), each answered by a {@link Provider}. The node then proposes, commits,
   * reveals and advances for every committee it is drawn into.
   */
  agreed?: AgreedOptions;
  logger?: Logger;
};

/** A running node: its jobs, `job` events on every state change, and `stop()`. */
export type VerityNode = EventEmitter & {
  address: Address;
  store: JobStore;
  /** the job for a request, if the node has seen it */
  job(requestId: bigint): Job | undefined;
  /** agreed mode: the validator, when the node validates agreed-mode models */
  validator?: Validator;
  /** base URL of /health and /metrics when `statusPort` was given */
  statusUrl?: string;
  /** agreed mode: base URL of the ballot box (`agreed.ballotBox`), where members post to this node when it leads */
  ballotBoxUrl?: string;
  stop(): Promise<void>;
};

/**
 * Starts a proving node: reads `Requested` events by polling `eth_getLogs` over bounded block
 * ranges from a cursor kept in its store; proves each request for a model it serves (bound to
 * the request id and its own address); sends `fulfill` through a {@link TxManager} that stores
 * every transaction before broadcasting it, bumps stuck ones and re-sends reorged ones.
 * Everything is in a SQLite store, so a node killed at any point resumes where it was.
 *
 * @example
 * const node = await startNode({ publicClient, wallet, coprocessor, models: [{ modelId, dir: 'build/spam' }], store: 'data/node.sqlite' })
 * node.on('job', (job) => console.log(job.requestId, job.state))
 */
export async function startNode(options: NodeOptions): Promise<VerityNode> {
  const { publicClient, coprocessor } = options;
  const log = options.logger ?? createLogger();
  const pollMs = options.pollMs ?? 500;
  const maxRange = options.maxBlockRange ?? DEFAULT_LOG_RANGE;
  const account = options.wallet.account as LocalAccount;
  const me = account.address;
  const chainId = await publicClient.getChainId();

  const store = openStore(options.store, { chain: chainId, coprocessor, operator: me });
  const { registry, nodes } = await protocolContracts(publicClient, coprocessor);
  const { provers, batchable } = await loadModels({ publicClient, registry, models: options.models, verifyArtefacts: options.verifyArtefacts ?? true, prover: options.prover, log });
  const requestBatches = options.batch === false ? new Map() : await loadRequestBatches({ models: options.models, prover: options.prover, log });
  await warnIfNotStaked({ publicClient, nodes, operator: me, log });
  const proving = await connectProving(options.proving, { provers, log, scope: `${chainId}-${coprocessor.toLowerCase()}-${me.toLowerCase()}` });
  const txm = new TxManager({ publicClient, account, chainId, store, log, confirmations: options.confirmations, bumpAfterMs: options.bumpAfterMs });
  const modelIds = [...options.models.map((m) => m.modelId), ...(options.agreed?.models.map((m) => m.modelId) ?? [])];
  await optInToModels({ publicClient, account, nodes, txm, modelIds, optIn: options.optIn ?? true, log });

  const node = new EventEmitter() as VerityNode;
  const state = new NodeState(store, node);
  const scanner = new RequestScanner({
    publicClient, coprocessor, store, log, maxRange, reorgDepth: options.reorgDepth ?? DEFAULT_REORG_DEPTH,
    firstBlock: options.fromBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 })),
    serves: (modelId) => provers.has(modelId.toLowerCase()), onJob: (job) => state.announce(job),
  });
  const jobs = new ProvedJobs({
    publicClient, account, chainId, coprocessor, nodes, registry, store, log, txm, proving, provers, pollMs, maxRange, maxAttempts: options.maxAttempts ?? 5,
    batch: options.batch === false ? undefined : { maxSize: options.batch?.maxSize ?? 16, waitMs: options.batch?.waitMs ?? 2000, models: batchable, requests: requestBatches },
    scanFloor: scanner.start, state,
  });
  jobs.resumeInterrupted();
  const validator = await connectValidator({
    publicClient, account, coprocessor, chainId, store, txm, log, agreed: options.agreed, fromBlock: scanner.cursor, maxRange, deploymentBlock: options.deploymentBlock ?? 0n,
  });
  const boxAt = options.agreed?.ballotBox;
  const ballotBox = validator && boxAt ? await serveBallotBox({ ...boxAt, receive: (m) => validator.receive(m).catch(() => false), proposal: (id, round) => validator.proposalFor(id, round) }) : undefined;
  if (ballotBox) log.info({ url: ballotBox.url }, 'agreed mode: taking members\' ballots when leading a round');

  const loop = { state, pollMs, log };
  const loops = [
    pollChain(loop, { publicClient, scanner, txm, jobs, store }),
    validator ? validateAgreed(loop, validator) : undefined,
    workJobs(loop, { jobs, store, proving }),
  ];
  const status = options.statusPort === undefined
    ? undefined
    : await serveNodeStatus({ publicClient, nodes, operator: me, chainId, pollMs, state, store, scanner, proving }, { port: options.statusPort, host: options.statusHost });
  if (status) log.info({ url: status.url }, 'serving /health and /metrics');
  log.info({ operator: me, chainId, coprocessor, cursor: scanner.cursor.toString(), models: options.models.length }, 'node started');

  return Object.assign(node, {
    address: me, store, validator, statusUrl: status?.url, ballotBoxUrl: ballotBox?.url,
    job: (id: bigint) => store.job(id),
    stop: () => stopNode({ state, loops, proving, ownsProving: !options.proving || !('prove' in options.proving), provers: [...provers.values(), ...requestBatches.values()], status, ballotBox, store, ownsStore: !(options.store instanceof JobStore) }),
  });
}

/** Stops the loops (a proof waiting on the queue is abandoned, not lost), then closes what the node opened. */
async function stopNode(p: {
  state: NodeState; loops: (Promise<void> | undefined)[]; proving: ProvingBackend; ownsProving: boolean; provers: readonly { close(): Promise<void> }[];
  status?: StatusServer; ballotBox?: BallotBox; store: JobStore; ownsStore: boolean;
}): Promise<void> {
  // A proof waiting on the queue keeps its job 'proving': the next start finds the queued proof by its fixed job id.
  p.state.stop({ abortProofs: p.proving.kind === 'queue' });
  await Promise.all(p.loops);
  if (p.ownsProving) await p.proving.close();
  // the warm native prover processes and witness worker threads of the models it loaded
  await Promise.all(p.provers.map((prover) => prover.close()));
  await p.status?.close();
  await p.ballotBox?.close();
  if (p.ownsStore) p.store.close();
}
