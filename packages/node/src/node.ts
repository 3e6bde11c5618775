import { EventEmitter } from 'node:events';
import { encodeFunctionData, HttpRequestError, TimeoutError, zeroAddress, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import { BaseError } from '@verity/sdk/errors';
import { coprocessorAbi, ContractRevertError, decodeRevert, nodeRegistryAbi, requestBinding, RequestStatus, toSolidityProof, type SnarkjsProof, type Wallet } from '@verity/sdk';
import { Prover, type BackendChoice } from '@verity/zkml';
import { verifyAgainstRegistry } from './artefacts.js';
import { createLogger, errorText, type Logger } from './log.js';
import { family, Histogram, serveStatus, type StatusServer } from './metrics.js';
import { LocalProving, QueueProving, type ProvingBackend } from './proving.js';
import { JobStore, JOB_STATES, type Job } from './store.js';
import { TxManager, type TxOutcome } from './txmanager.js';
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
  /** blocks on top of a fulfilment before the job is final (default 1) */
  confirmations?: number;
  /** a fulfilment still pending after this long (ms) is replaced with higher fees (default 15 s) */
  bumpAfterMs?: number;
  /** tries per request before it is marked failed (RPC outages do not count) */
  maxAttempts?: number;
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

/** The store belongs to another chain, Coprocessor or operator. */
export class StoreMismatchError extends BaseError {
  override name = 'StoreMismatchError';
  constructor({ key, stored, actual }: { key: string; stored: string; actual: string }) {
    super(`the job store was made for ${key} ${stored}, but this node runs with ${actual}`, {
      details: 'Give each chain, Coprocessor and operator key its own store file (config `store`).',
    });
  }
}

/** RPC trouble (unreachable, timeout, 5xx): retried without counting against the job. */
function isTransient(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const walk = (e as { walk?: (f: (x: unknown) => boolean) => unknown }).walk;
  if (walk) return Boolean(walk.call(e, (x) => x instanceof HttpRequestError || x instanceof TimeoutError));
  return /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up/i.test(e.message);
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
  const maxRange = options.maxBlockRange ?? 1_000n;
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
  for (const m of options.models) {
    if (options.verifyArtefacts ?? true) await verifyAgainstRegistry(publicClient, { registry, modelId: m.modelId, dir: m.dir });
    const prover = await Prover.load(m.dir, options.prover);
    provers.set(m.modelId.toLowerCase(), prover);
    log.info({ modelId: m.modelId, dir: m.dir, backend: prover.backend.name }, 'model loaded');
  }
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
  // is stored goes on with that transaction (never a second one).
  for (const job of store.jobs(['proving', 'submitting'])) {
    const txs = store.txsForRequest(job.requestId);
    if (txs.length > 0) {
      log.info({ requestId: job.requestId.toString(), tx: txs.at(-1)!.hash }, 'resuming: fulfilment already stored, watching it');
      update(job.requestId, { state: 'submitting', fulfilTx: txs.at(-1)!.hash });
    } else {
      log.info({ requestId: job.requestId.toString() }, 'resuming: proof was interrupted, proving again');
      update(job.requestId, { state: 'queued' });
    }
  }

  let cursor = store.cursor() ?? options.fromBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
  let head = cursor;
  let stopped = false;
  let lastPollOk = Date.now();
  let rpcErrors = 0;
  const proveTimes = new Histogram();
  const sleeps = new Set<() => void>();
  const sleep = (ms: number) => new Promise<void>((r) => { const wake = () => { sleeps.delete(wake); clearTimeout(t); r(); }; const t = setTimeout(wake, ms); sleeps.add(wake); });

  async function scan() {
    head = await publicClient.getBlockNumber({ cacheTime: 0 });
    while (cursor <= head && !stopped) {
      const to = cursor + maxRange - 1n < head ? cursor + maxRange - 1n : head;
      const events = await publicClient.getContractEvents({ address: coprocessor, abi: coprocessorAbi, eventName: 'Requested', fromBlock: cursor, toBlock: to });
      const seen: Job[] = [];
      for (const e of events) {
        const { requestId, modelId, input } = e.args as { requestId: bigint; modelId: Hex; input: Hex };
        if (!provers.has(modelId.toLowerCase())) continue;
        seen.push({ requestId, modelId, input, block: e.blockNumber, requestedAt: Date.now(), state: 'queued', attempts: 0, updatedAt: Date.now() });
      }
      // The jobs and the cursor past them are committed together.
      for (const job of store.addJobsAndAdvance(seen, to + 1n)) {
        log.info({ requestId: job.requestId.toString(), modelId: job.modelId, block: job.block.toString() }, 'request seen');
        node.emit('job', job);
      }
      cursor = to + 1n;
    }
  }

  async function settle(outcome: TxOutcome) {
    const { tx, event } = outcome;
    const job = store.job(tx.requestId);
    if (!job) return;
    if (event === 'reorged') {
      update(job.requestId, { state: 'submitting', fulfilTx: tx.hash, fulfilGasUsed: undefined, error: 'fulfilment reorged out; sent again' });
      return;
    }
    if (event === 'mined') {
      update(job.requestId, { fulfilTx: tx.hash, fulfilGasUsed: tx.gasUsed });
      return;
    }
    if (tx.status === 'success') {
      log.info({ requestId: job.requestId.toString(), tx: tx.hash, gasUsed: tx.gasUsed?.toString(), block: tx.block?.toString() }, 'fulfilled');
      update(job.requestId, { state: 'fulfilled', fulfilTx: tx.hash, fulfilGasUsed: tx.gasUsed, error: undefined });
      return;
    }
    // Reverted on chain: most often another node was first.
    const r = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [job.requestId] });
    const status = RequestStatus[r.status];
    if (status !== 'Pending') {
      log.info({ requestId: job.requestId.toString(), tx: tx.hash, status }, 'fulfilment reverted: the request was settled otherwise');
      update(job.requestId, { state: 'skipped', error: `request is ${status}` });
    } else {
      retry(job, `fulfilment ${tx.hash} reverted`);
    }
  }

  function retry(job: Job, error: string) {
    const attempts = job.attempts;
    if (attempts >= maxAttempts) {
      log.error({ requestId: job.requestId.toString(), attempts, err: error }, 'job failed');
      update(job.requestId, { state: 'failed', error });
    } else {
      const delay = Math.min(60_000, 1000 * 2 ** attempts);
      log.warn({ requestId: job.requestId.toString(), attempts, retryInMs: delay, err: error }, 'job will be retried');
      update(job.requestId, { state: 'queued', notBefore: Date.now() + delay, error });
    }
  }

  async function work(job: Job) {
    // A transaction for this request is already stored (say its broadcast failed): the
    // transaction manager owns it now; a second proof would only make a second transaction.
    const stored = store.txsForRequest(job.requestId);
    const done = stored.find((t) => t.state === 'confirmed' && t.status === 'success');
    if (done) {
      update(job.requestId, { state: 'fulfilled', fulfilTx: done.hash, fulfilGasUsed: done.gasUsed });
      return;
    }
    const open = stored.filter((t) => t.state === 'pending' || t.state === 'mined');
    if (open.length > 0) {
      update(job.requestId, { state: 'submitting', fulfilTx: open.at(-1)!.hash });
      return;
    }
    const r = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [job.requestId] });
    const status = RequestStatus[r.status];
    if (status !== 'Pending') {
      update(job.requestId, { state: 'skipped', error: `request is ${status}` });
      return;
    }
    // Another node was drawn for this request: it has the request alone until its window ends.
    const until = Number(r.exclusiveUntil) * 1000 + 1000;
    if (r.primary.toLowerCase() !== me.toLowerCase() && Date.now() < until) {
      log.info({ requestId: job.requestId.toString(), primary: r.primary, until: new Date(until).toISOString() }, 'assigned to another node; waiting for its window to end');
      update(job.requestId, { state: 'waiting', notBefore: until });
      return;
    }
    const prover = provers.get(job.modelId.toLowerCase())!;
    update(job.requestId, { state: 'proving', attempts: job.attempts + 1 });
    log.info({ requestId: job.requestId.toString(), attempt: job.attempts + 1 }, 'proving');
    const binding = requestBinding({ chainId, coprocessor, requestId: job.requestId, prover: me });
    const result = await proving.prove({ requestId: job.requestId, modelId: job.modelId, input: job.input, binding }, abort.signal);
    const proveMs = result.proveMs;
    proveTimes.observe(proveMs / 1000);
    log.info({ requestId: job.requestId.toString(), proveMs: Math.round(proveMs), worker: result.worker, outputs: result.outputs }, 'proved');
    update(job.requestId, { proveMs, outputs: result.outputs, proof: result.proof, publicSignals: result.publicSignals });
    const words = result.publicSignals.slice(0, prover.compiled.report.layout.outputWords).map(BigInt);
    const args = [job.requestId, words, toSolidityProof(result.proof as SnarkjsProof)] as const;
    const data = encodeFunctionData({ abi: coprocessorAbi, functionName: 'fulfill', args });
    // The estimate runs the whole fulfilment (proof check and callback): a revert shows here, before any gas is spent.
    const gas = await publicClient.estimateContractGas({ account, address: coprocessor, abi: coprocessorAbi, functionName: 'fulfill', args });
    if (stopped) return;
    // A margin on top of the estimate: the callback must get its full paid gas (63/64 rule).
    const tx = await txm.send(job.requestId, { to: coprocessor, data, gas: (gas * 12n) / 10n });
    update(job.requestId, { state: 'submitting', fulfilTx: tx.hash });
  }

  async function onJobError(job: Job, e: unknown) {
    if (isTransient(e)) {
      log.warn({ requestId: job.requestId.toString(), err: errorText(e) }, 'RPC error while working; the job goes back to the queue');
      update(job.requestId, { state: 'queued', notBefore: Date.now() + 2000, attempts: Math.max(0, job.attempts - 1) });
      return;
    }
    const d = decodeRevert(e);
    if (d instanceof ContractRevertError && d.errorName === 'RequestNotPending') {
      update(job.requestId, { state: 'skipped', error: errorText(d) });
      return;
    }
    retry(store.job(job.requestId)!, errorText(e));
  }

  const committee = options.agreed && options.agreed.models.length > 0
    ? await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'committee' })
    : undefined;
  if (committee === zeroAddress) throw new BaseError('agreed mode: this Coprocessor has no committee (deploy one and call setCommittee), but the node config lists agreed models');
  const validator = committee
    ? new Validator({ publicClient, account, committee, coprocessor, chainId, store, txm, log, agreed: options.agreed!, fromBlock: cursor, maxRange })
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
    for (const outcome of await txm.tick(head)) await settle(outcome);
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
      if (inFlight.size >= proving.concurrency) {
        await Promise.race(inFlight.values());
        continue;
      }
      const next = store.jobs(['queued']).find((j) => (j.notBefore ?? 0) <= Date.now() && !inFlight.has(j.requestId));
      if (!next) {
        await sleep(pollMs);
        continue;
      }
      const run = work(next)
        .catch((e) => (stopped ? undefined : onJobError(next, e)))
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
        return { ok: staleMs < Math.max(15_000, pollMs * 20), operator: me, chainId, head, cursor, lastPollAgoMs: staleMs, jobs: store.countByState() };
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
          family('verity_cursor_block', 'gauge', 'Next block to scan for requests.', [`verity_cursor_block ${cursor}`]),
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

  log.info({ operator: me, chainId, coprocessor, cursor: cursor.toString(), models: options.models.length }, 'node started');
  node.stop = async () => {
    stopped = true;
    // A proof waiting on the queue is abandoned, not lost: its job stays 'proving' and the
    // next start finds the queued proof by its fixed job id.
    if (proving.kind === 'queue') abort.abort(new Error('node stopping'));
    for (const wake of [...sleeps]) wake();
    await Promise.all([pollLoop, workLoop, agreedLoop]);
    if (!options.proving || !('prove' in options.proving)) await proving.close();
    await status?.close();
    if (!(options.store instanceof JobStore)) store.close();
  };
  return node;
}
