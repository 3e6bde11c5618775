import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { encodeFunctionData, zeroAddress, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import { BaseError } from '@verity/sdk/errors';
import { coprocessorAbi, DEFAULT_LOG_RANGE, decodeRevert, nodeRegistryAbi, type Wallet } from '@verity/sdk';
import { Prover, RequestBatchProver, type BackendChoice } from '@verity/zkml';
import { verifyAgainstRegistry } from './artefacts.js';
import { createLogger, errorText, type Logger } from './log.js';
import { family, Histogram, serveStatus, type StatusServer } from './metrics.js';
import { LocalProving, QueueProving, type ProvingBackend } from './proving.js';
import { RequestScanner, DEFAULT_REORG_DEPTH } from './scanner.js';
import { JobStore, JOB_STATES, type Job } from './store.js';
import { ProvedJobs } from './jobs.js';
import { TxManager } from './txmanager.js';
import { Validator, type AgreedOptions } from './validator.js';

export type { Job, JobState } from './store.js';
export type { Logger } from './log.js';

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
  proving?: ProvingBackend | { redis: string; concurrency?: number; timeoutMs?: number };
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
  stop(): Promise<void>;
};

/** Whether a model's exported verifier has `verifyBatch` (see @verity/zkml's batch verifier). */
function hasBatchVerifier(prover: Prover): boolean {
  const build = JSON.parse(readFileSync(prover.compiled.path('verifierBuild'), 'utf8')) as { abi: { type: string; name?: string }[] };
  return build.abi.some((e) => e.type === 'function' && e.name === 'verifyBatch');
}

/** The store belongs to another chain, Coprocessor or operator. */
export class StoreMismatchError extends BaseError {
  override name = 'StoreMismatchError';
  constructor({ key, stored, actual }: { key: string; stored: string; actual: string }) {
    super(`the job store was made for ${key} ${stored}, but this node runs with ${actual}`, {
      details: 'Give each chain, Coprocessor and operator key its own store file (config `store`).',
    });
  }
}

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
  const { publicClient, wallet, coprocessor } = options;
  const log = options.logger ?? createLogger();
  const pollMs = options.pollMs ?? 500;
  const maxRange = options.maxBlockRange ?? DEFAULT_LOG_RANGE;
  const reorgDepth = options.reorgDepth ?? DEFAULT_REORG_DEPTH;
  const maxAttempts = options.maxAttempts ?? 5;
  const account = wallet.account as LocalAccount;
  const me = account.address;
  const chainId = await publicClient.getChainId();
  const store = options.store instanceof JobStore ? options.store : new JobStore(options.store ?? ':memory:');
  for (const [key, actual] of [['chain', String(chainId)], ['coprocessor', coprocessor.toLowerCase()], ['operator', me.toLowerCase()]] as const) {
    const stored = store.meta(key);
    if (stored !== undefined && stored !== actual) throw new StoreMismatchError({ key, stored, actual });
    store.setMeta(key, actual);
  }

  const registry = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'registry' });
  const nodes = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'nodes' });
  const provers = new Map<string, Prover>();
  const batchable = new Set<string>();
  for (const m of options.models) {
    if (options.verifyArtefacts ?? true) await verifyAgainstRegistry(publicClient, { registry, modelId: m.modelId, dir: m.dir });
    const prover = await Prover.load(m.dir, options.prover);
    provers.set(m.modelId.toLowerCase(), prover);
    // Verifiers exported before batch verifiers have only verifyProof: their requests go one by one.
    if (hasBatchVerifier(prover)) batchable.add(m.modelId.toLowerCase());
    log.info({ modelId: m.modelId, dir: m.dir, backend: prover.backend.name, batchVerifier: batchable.has(m.modelId.toLowerCase()) }, 'model loaded');
  }
  // Models compiled for request batches (`<dir>/requests-K`, the largest K): their requests are proved together.
  const requestBatches = new Map<string, RequestBatchProver>();
  if (options.batch !== false) {
    for (const m of options.models) {
      const k = Math.max(0, ...readdirSync(m.dir).map((f) => /^requests-(\d+)$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number));
      if (k < 2) continue;
      const prover = await RequestBatchProver.load(m.dir, k, options.prover);
      requestBatches.set(m.modelId.toLowerCase(), prover);
      log.info({ modelId: m.modelId, k, backend: prover.backend.name }, 'request-batch circuit loaded: up to K requests in one proof');
    }
  }
  const batch = options.batch === false ? undefined : { maxSize: options.batch?.maxSize ?? 16, waitMs: options.batch?.waitMs ?? 2000, models: batchable, requests: requestBatches };
  if (!(await publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'isActive', args: [me] }))) {
    log.warn({ operator: me, nodes }, 'this operator is not staked in the NodeRegistry: the Coprocessor will refuse its fulfilments (register with a stake first)');
  }
  const proving: ProvingBackend = !options.proving
    ? new LocalProving(provers)
    : 'prove' in options.proving
      ? options.proving
      : await QueueProving.connect({ ...options.proving, provers, logger: log, scope: `${chainId}-${coprocessor.toLowerCase()}-${me.toLowerCase()}` });
  if (proving.kind === 'queue') log.info({ concurrency: proving.concurrency }, 'proofs go to proving workers through Redis');
  const inFlight = new Map<bigint, Promise<void>>();
  const abort = new AbortController();
  const txm = new TxManager({ publicClient, account, chainId, store, log, confirmations: options.confirmations, bumpAfterMs: options.bumpAfterMs });

  // Drawn only for the models it opted in to: opt in to every model this node serves.
  const servedOnChain = new Set((await publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'servedModels', args: [me] })).map((m) => m.toLowerCase()));
  for (const modelId of [...options.models.map((m) => m.modelId), ...(options.agreed?.models.map((m) => m.modelId) ?? [])]) {
    if (servedOnChain.has(modelId.toLowerCase())) continue;
    if (!(options.optIn ?? true)) {
      log.warn({ modelId }, 'not opted in to serve this model (optIn is false): the node is never drawn for it and cannot fulfil it');
      continue;
    }
    try {
      const gas = await publicClient.estimateContractGas({ account, address: nodes, abi: nodeRegistryAbi, functionName: 'serveModel', args: [modelId] });
      const tx = await txm.send(0n, { to: nodes, data: encodeFunctionData({ abi: nodeRegistryAbi, functionName: 'serveModel', args: [modelId] }), gas: (gas * 13n) / 10n }, 'serve');
      servedOnChain.add(modelId.toLowerCase());
      log.info({ modelId, tx: tx.hash }, 'opting in to serve model');
    } catch (e) {
      log.warn({ modelId, err: errorText(decodeRevert(e)) }, 'could not opt in to serve model (register with a stake first)');
    }
  }

  const node = new EventEmitter() as VerityNode;
  node.address = me;
  node.store = store;
  node.job = (id) => store.job(id);
  const update = (requestId: bigint, patch: Partial<Omit<Job, 'requestId'>>) => {
    const job = store.updateJob(requestId, patch);
    node.emit('job', job);
    return job;
  };

  // Jobs a crash interrupted: a proof in progress is started again; one whose transaction
  // (single or batch) is stored goes on with that transaction (never a second one); a proof
  // waiting for its batch keeps waiting.
  for (const job of store.jobs(['proving', 'proved', 'submitting'])) {
    const txs = store.txsForRequest(job.requestId, 'fulfil');
    if (txs.length > 0) {
      log.info({ requestId: job.requestId.toString(), tx: txs.at(-1)!.hash }, 'resuming: fulfilment already stored, watching it');
      update(job.requestId, { state: 'submitting', fulfilTx: txs.at(-1)!.hash });
    } else if (job.state !== 'proved') {
      log.info({ requestId: job.requestId.toString() }, 'resuming: proof was interrupted, proving again');
      update(job.requestId, { state: 'queued' });
    }
  }

  let head = 0n;
  let stopped = false;
  let lastPollOk = Date.now();
  let rpcErrors = 0;
  const proveTimes = new Histogram();
  const sleeps = new Set<() => void>();
  const sleep = (ms: number) => new Promise<void>((r) => { const wake = () => { sleeps.delete(wake); clearTimeout(t); r(); }; const t = setTimeout(wake, ms); sleeps.add(wake); });

  const scanner = new RequestScanner({
    publicClient, coprocessor, store, log, maxRange, reorgDepth, firstBlock: options.fromBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 })),
    serves: (modelId) => provers.has(modelId.toLowerCase()), onJob: (job) => node.emit('job', job),
  });
  /** The head block's timestamp and when this node first saw it: the chain's clock, read without trusting ours. */
  let headTime = { timestamp: 0, seenAt: 0 };
  /** The chain's time now (ms), estimated from the head block: never ahead of the next block's. */
  const chainNow = () => headTime.timestamp * 1000 + (Date.now() - headTime.seenAt);
  async function scan() {
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (latest !== head || headTime.seenAt === 0) headTime = { timestamp: Number((await publicClient.getBlock({ blockNumber: latest })).timestamp), seenAt: Date.now() };
    head = latest;
    await scanner.scan(head, () => stopped);
  }

  const jobs = new ProvedJobs({
    publicClient, account, chainId, coprocessor, nodes, registry, store, log, txm, proving, provers, pollMs, maxRange, maxAttempts, batch, scanFloor: scanner.start,
    chain: { head: () => head, now: chainNow }, stopped: () => stopped, signal: abort.signal, onProved: (ms) => proveTimes.observe(ms / 1000), update,
  });

  const committee = options.agreed && options.agreed.models.length > 0
    ? await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'committee' })
    : undefined;
  if (committee === zeroAddress) throw new BaseError('agreed mode: this Coprocessor has no committee (deploy one and call setCommittee), but the node config lists agreed models');
  const validator = committee
    ? new Validator({ publicClient, account, committee, coprocessor, chainId, store, txm, log, agreed: options.agreed!, fromBlock: scanner.cursor, maxRange, deploymentBlock: options.deploymentBlock ?? 0n })
    : undefined;
  node.validator = validator;
  if (validator) log.info({ committee, models: options.agreed!.models.map((m) => ({ modelId: m.modelId, provider: m.provider.name })) }, 'agreed mode: validating');

  /**
   * Runs `tick` every `pollMs` until the node stops; after a failure it waits
   * `pollMs * 2^failures` (at most 10 s) and logs `failed` with the error. `onSuccess` gets the
   * number of failures the success ended.
   */
  async function pollEvery(tick: () => Promise<void>, p: { failed: string; onFailure?: () => void; onSuccess?: (failures: number) => void }) {
    let failures = 0;
    while (!stopped) {
      try {
        await tick();
        p.onSuccess?.(failures);
        failures = 0;
        await sleep(pollMs);
      } catch (e) {
        failures += 1;
        p.onFailure?.();
        const delay = Math.min(10_000, pollMs * 2 ** Math.min(failures, 10));
        log.warn({ failures, retryInMs: delay, err: errorText(e) }, p.failed);
        await sleep(delay);
      }
    }
  }

  /** Events and transactions: polls the chain, with backoff while the RPC fails. */
  const pollLoop = pollEvery(async () => {
    await scan();
    for (const outcome of await txm.tick(head)) await jobs.settle(outcome);
    for (const job of store.jobs(['waiting'])) {
      if ((job.notBefore ?? 0) <= Date.now()) update(job.requestId, { state: 'queued' });
    }
  }, {
    failed: 'poll failed; backing off',
    onFailure: () => { rpcErrors += 1; },
    onSuccess: (failures) => {
      if (failures > 0) log.info({ failures, downForMs: Date.now() - lastPollOk }, 'RPC recovered');
      lastPollOk = Date.now();
    },
  });

  /** Agreed mode: its own loop, so a slow provider never holds up the proved-mode polling. */
  const agreedLoop = validator ? pollEvery(() => validator.tick(head), { failed: 'agreed mode: poll failed; backing off' }) : undefined;

  /**
   * Proving: locally one job at a time (a proof uses every core); with proving workers, up
   * to the backend's concurrency at once.
   */
  const workLoop = (async () => {
    while (!stopped) {
      try {
        await jobs.submitProved();
      } catch (e) {
        log.warn({ err: errorText(e) }, 'sending proved requests failed; trying again');
      }
      if (inFlight.size >= proving.concurrency) {
        await Promise.race(inFlight.values());
        continue;
      }
      const next = store.jobs(['queued']).find((j) => (j.notBefore ?? 0) <= Date.now() && !inFlight.has(j.requestId));
      if (!next) {
        await sleep(pollMs);
        continue;
      }
      const run = jobs.work(next)
        .catch((e) => (stopped ? undefined : jobs.onError(next, e)))
        .catch((e) => log.error({ requestId: next.requestId.toString(), err: errorText(e) }, 'job error handling failed'))
        .finally(() => inFlight.delete(next.requestId));
      inFlight.set(next.requestId, run);
    }
    await Promise.all(inFlight.values());
  })();

  const balanceAndStake = async () => {
    const [balance, operator] = await Promise.all([
      publicClient.getBalance({ address: me }),
      publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [me] }),
    ]);
    return { balance, operator };
  };
  let status: StatusServer | undefined;
  if (options.statusPort !== undefined) {
    status = await serveStatus({
      port: options.statusPort,
      host: options.statusHost,
      health: () => {
        const staleMs = Date.now() - lastPollOk;
        return { ok: staleMs < Math.max(15_000, pollMs * 20), operator: me, chainId, head, cursor: scanner.cursor, lastPollAgoMs: staleMs, jobs: store.countByState() };
      },
      metrics: async () => {
        const counts = store.countByState();
        const [{ balance, operator }, queue] = await Promise.all([balanceAndStake(), proving.stats()]);
        return [
          family('verity_jobs', 'gauge', 'Jobs in the store by state.', JOB_STATES.map((s) => `verity_jobs{state="${s}"} ${counts[s]}`)),
          family('verity_prove_seconds', 'histogram', 'Time to compute one proof (witness and Groth16), since the node started.', proveTimes.lines('verity_prove_seconds')),
          family('verity_wallet_balance_wei', 'gauge', 'The operator account balance.', [`verity_wallet_balance_wei ${balance}`]),
          family('verity_stake_wei', 'gauge', 'Stake bonded in the NodeRegistry.', [`verity_stake_wei ${operator.stake}`]),
          family('verity_slashed_wei', 'gauge', 'Stake slashed from this operator, in total.', [`verity_slashed_wei ${operator.slashed}`]),
          family('verity_served_total', 'counter', 'Requests this operator served (NodeRegistry counter).', [`verity_served_total ${operator.served}`]),
          family('verity_missed_total', 'counter', 'Requests this operator missed (NodeRegistry counter).', [`verity_missed_total ${operator.missed}`]),
          family('verity_chain_head', 'gauge', 'Latest block seen.', [`verity_chain_head ${head}`]),
          family('verity_cursor_block', 'gauge', 'Next block to scan for requests.', [`verity_cursor_block ${scanner.cursor}`]),
          family('verity_rpc_errors_total', 'counter', 'Failed polls of the RPC endpoint.', [`verity_rpc_errors_total ${rpcErrors}`]),
          family('verity_open_transactions', 'gauge', 'Transactions sent and not yet final.', [`verity_open_transactions ${store.openTxs().length}`]),
          ...(queue ? [
            family('verity_proving_queue', 'gauge', 'Proofs in the Redis queue by state (all of this node\'s models).', [`verity_proving_queue{state="waiting"} ${queue.waiting}`, `verity_proving_queue{state="active"} ${queue.active}`]),
            family('verity_proving_workers', 'gauge', 'Proving workers connected to the queue.', [`verity_proving_workers ${queue.workers}`]),
          ] : []),
        ].join('\n');
      },
    });
    node.statusUrl = status.url;
    log.info({ url: status.url }, 'serving /health and /metrics');
  }

  log.info({ operator: me, chainId, coprocessor, cursor: scanner.cursor.toString(), models: options.models.length }, 'node started');
  node.stop = async () => {
    stopped = true;
    // A proof waiting on the queue is abandoned, not lost: its job stays 'proving' and the
    // next start finds the queued proof by its fixed job id.
    if (proving.kind === 'queue') abort.abort(new Error('node stopping'));
    for (const wake of [...sleeps]) wake();
    await Promise.all([pollLoop, workLoop, agreedLoop]);
    if (!options.proving || !('prove' in options.proving)) await proving.close();
    // the warm native prover processes and witness worker threads of the models it loaded
    await Promise.all([...provers.values(), ...requestBatches.values()].map((p) => p.close()));
    await status?.close();
    if (!(options.store instanceof JobStore)) store.close();
  };
  return node;
}
