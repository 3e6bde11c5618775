import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type Job as QueueJob } from 'bullmq';
import type { Hex } from 'viem';
import { BaseError } from '@verity/errors';
import { decodeInputBytes, Prover, type BackendChoice } from '@verity/zkml';
import { createLogger, type Logger } from './log.js';

/** One proof to compute: a request's input bytes, bound to the request and the node's address. */
export type ProofTask = {
  requestId: bigint;
  modelId: Hex;
  /** the request's input bytes as emitted on chain */
  input: Hex;
  /** `requestBinding(chainId, coprocessor, requestId, operator)`: the public signal the proof is tied to */
  binding: bigint;
};

/** A computed proof, as the node submits it. */
export type ProofResult = {
  outputs: number[];
  proof: unknown;
  publicSignals: string[];
  /** witness and Groth16 time on the machine that proved it */
  proveMs: number;
  /** which worker proved it (`local` for the node's own process) */
  worker: string;
};

/**
 * Where a node's proofs are computed. The default ({@link LocalProving}) proves in the node's
 * process, one at a time; {@link QueueProving} hands proofs to `verity node worker`
 * processes on any number of machines through a BullMQ queue on Redis.
 */
export interface ProvingBackend {
  /** how many proofs the node may have in flight at once */
  readonly concurrency: number;
  readonly kind: 'local' | 'queue';
  prove(task: ProofTask, signal?: AbortSignal): Promise<ProofResult>;
  /** numbers for /metrics: waiting and active proofs, connected workers */
  stats(): Promise<{ waiting: number; active: number; workers: number } | undefined>;
  close(): Promise<void>;
}

/** A model's verification key's fingerprint: its bytes' SHA-256 (the artefacts' fingerprint). */
export function verificationKey(prover: Prover): { fingerprint: string } {
  const bytes = readFileSync(prover.compiled.path('verificationKey'));
  return { fingerprint: createHash('sha256').update(bytes).digest('hex') };
}

/** Proves in the node's own process (a proof uses every core, so one at a time). */
export class LocalProving implements ProvingBackend {
  readonly concurrency = 1;
  readonly kind = 'local' as const;
  constructor(private readonly provers: ReadonlyMap<string, Prover>) {}

  async prove(task: ProofTask): Promise<ProofResult> {
    return proveTask(this.provers.get(task.modelId.toLowerCase())!, task, 'local');
  }

  async stats() {
    return undefined;
  }

  async close() {}
}

async function proveTask(prover: Prover, task: Pick<ProofTask, 'input' | 'binding'>, worker: string): Promise<ProofResult> {
  const encoded = decodeInputBytes(prover.compiled.report.layout, task.input);
  const t0 = performance.now();
  const r = await prover.prove({ encoded }, task.binding);
  return { outputs: r.outputs, proof: r.proof, publicSignals: r.publicSignals, proveMs: performance.now() - t0, worker };
}

/** A proving worker returned something the node cannot use. */
export class WorkerProofError extends BaseError {
  override name = 'WorkerProofError';
  constructor({ requestId, worker, problem }: { requestId: bigint; worker: string; problem: string }) {
    super(`the proof for request ${requestId} from worker ${worker} ${problem}`, {
      details: 'The node will ask again. Check that every worker serves the same artefacts as the node (`verity node pack` content hash).',
    });
  }
}

/**
 * A request's proving job failed in the queue: a worker gave up on it (BullMQ's failed reason),
 * or it was removed from Redis while the node waited. The node retries the job.
 */
export class ProvingJobFailedError extends BaseError {
  override name = 'ProvingJobFailedError';
  readonly requestId: bigint;
  constructor({ requestId, problem }: { requestId: bigint; problem: string }) {
    super(`the proving job for request ${requestId} ${problem}`);
    this.requestId = requestId;
  }
}

/** The proving queue has not answered within its time limit. */
export class ProvingTimeoutError extends BaseError {
  override name = 'ProvingTimeoutError';
  constructor({ requestId, ms, workers }: { requestId: bigint; ms: number; workers: number }) {
    super(`no proving worker finished request ${requestId} within ${Math.round(ms / 1000)} s (${workers} worker(s) connected)`, {
      details: workers === 0 ? 'Start at least one `verity node worker` against the same Redis.' : 'The workers may be overloaded; add workers or raise proving.timeoutMs.',
    });
  }
}

/** BullMQ queue names: one queue per model, so a worker consumes only the models it holds. */
export const queueName = (modelId: Hex) => `proofs-${modelId.toLowerCase()}`;
const QUEUE_PREFIX = 'verity';

/** Job data in Redis (bigints as decimal strings). */
type TaskData = { requestId: string; modelId: Hex; input: Hex; binding: string; fingerprint: string };

/** ioredis options from a redis:// or rediss:// URL; BullMQ's blocking connections need no per-request retry limit. */
export function redisConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true } as ConnectionOptions;
}

export type QueueProvingOptions = {
  /** redis://[user:password@]host:port[/db] */
  redis: string;
  /** the node's models, to stamp each job with the artefact fingerprint workers must hold */
  provers: ReadonlyMap<string, Prover>;
  /** proofs in flight at once (default 4: about the number of worker processes) */
  concurrency?: number;
  /** a proof not finished after this long fails and is retried by the node (default 10 min) */
  timeoutMs?: number;
  /**
   * Distinguishes operators sharing one Redis: job ids are `<scope>-<requestId>`. A node uses
   * its chain, Coprocessor and operator address, so a restarted node finds its own jobs.
   */
  scope: string;
  logger?: Logger;
};

/**
 * Hands proofs to `verity node worker` processes through BullMQ on Redis. The node keeps the
 * chain duties (events, store, key, transactions); workers hold only the artefacts and never
 * the key. Each request's job id is fixed, so a node restarted mid-proof finds the job it
 * queued (finished or not) instead of proving twice; a worker killed mid-proof loses its lock
 * and BullMQ gives the job to another worker. Proofs are checked against the verification
 * key before the node uses them.
 */
export class QueueProving implements ProvingBackend {
  readonly kind = 'queue' as const;
  readonly concurrency: number;
  private readonly queues = new Map<string, { queue: Queue; events: QueueEvents; fingerprint: string; prover: Prover }>();
  private readonly timeoutMs: number;
  private readonly log: Logger;

  private constructor(private readonly o: QueueProvingOptions) {
    this.concurrency = o.concurrency ?? 4;
    this.timeoutMs = o.timeoutMs ?? 600_000;
    this.log = o.logger ?? createLogger();
  }

  static async connect(options: QueueProvingOptions): Promise<QueueProving> {
    const p = new QueueProving(options);
    const connection = redisConnection(options.redis);
    for (const [modelId, prover] of options.provers) {
      const name = queueName(modelId as Hex);
      const queue = new Queue(name, { connection, prefix: QUEUE_PREFIX });
      const events = new QueueEvents(name, { connection, prefix: QUEUE_PREFIX });
      queue.on('error', (e) => p.log.warn({ err: e.message, queue: name }, 'Redis error (proving queue)'));
      events.on('error', (e) => p.log.warn({ err: e.message, queue: name }, 'Redis error (proving queue events)'));
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      p.queues.set(modelId, { queue, events, prover, ...verificationKey(prover) });
    }
    return p;
  }

  private jobId(task: ProofTask) {
    return `${this.o.scope}-${task.requestId}`;
  }

  async prove(task: ProofTask, signal?: AbortSignal): Promise<ProofResult> {
    const q = this.queues.get(task.modelId.toLowerCase())!;
    const id = this.jobId(task);
    let job = await q.queue.getJob(id);
    if (job && (await job.getState()) === 'failed') {
      // An earlier attempt failed (the node decided to retry): start a fresh one under the same id.
      await job.remove();
      job = undefined;
    }
    if (!job) {
      const data: TaskData = { requestId: task.requestId.toString(), modelId: task.modelId, input: task.input, binding: task.binding.toString(), fingerprint: q.fingerprint };
      job = await q.queue.add('prove', data, { jobId: id, attempts: 1, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 24 * 3600 } });
      this.log.info({ requestId: task.requestId.toString(), job: id }, 'proof queued');
    } else {
      this.log.info({ requestId: task.requestId.toString(), job: id }, 'proof already queued before a restart: waiting for it');
    }
    const result = await this.wait(q, id, task.requestId, signal);
    const answer = await q.prover.verify(result);
    const problem = !answer ? 'does not verify against the model\'s verification key'
      : answer.binding !== task.binding ? 'is bound to another request or operator' : undefined;
    if (problem) {
      // Not kept under the request's job id: the retry must prove again, not reuse this result.
      await (await q.queue.getJob(id))?.remove().catch(() => {});
      throw new WorkerProofError({ requestId: task.requestId, worker: result.worker, problem });
    }
    // The answer the node logs and stores is the one the verified signals carry, never the worker's word.
    return { ...result, outputs: answer!.outputs };
  }

  /** Resolves with the job's result once a worker completes it; rejects when it fails, times out or `signal` aborts. */
  private wait(q: { queue: Queue; events: QueueEvents }, id: string, requestId: bigint, signal?: AbortSignal): Promise<ProofResult> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        q.events.off('completed', onCompleted);
        q.events.off('failed', onFailed);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const check = async () => {
        const job = await q.queue.getJob(id);
        if (!job) return finish(() => reject(new ProvingJobFailedError({ requestId, problem: `(${id}) disappeared from the queue` })));
        const state = await job.getState();
        if (state !== 'completed' && state !== 'failed') return;
        // Read again: the job was fetched before its state moved, without its result or reason.
        const final = (await q.queue.getJob(id)) ?? job;
        if (state === 'completed') finish(() => resolve(final.returnvalue as ProofResult));
        else finish(() => reject(new ProvingJobFailedError({ requestId, problem: `failed on its worker: ${final.failedReason}` })));
      };
      const onCompleted = ({ jobId }: { jobId: string }) => { if (jobId === id) check().catch((e) => finish(() => reject(e))); };
      const onFailed = ({ jobId }: { jobId: string }) => { if (jobId === id) check().catch((e) => finish(() => reject(e))); };
      const onAbort = () => finish(() => reject(signal!.reason ?? new Error('aborted')));
      const timer = setTimeout(() => {
        q.queue.getWorkersCount().catch(() => 0).then((workers) => finish(() => reject(new ProvingTimeoutError({ requestId, ms: this.timeoutMs, workers }))));
      }, this.timeoutMs);
      q.events.on('completed', onCompleted);
      q.events.on('failed', onFailed);
      signal?.addEventListener('abort', onAbort);
      // The job may have finished before the listeners were on.
      check().catch((e) => finish(() => reject(e)));
    });
  }

  async stats() {
    let waiting = 0, active = 0, workers = 0;
    for (const { queue } of this.queues.values()) {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
      waiting += (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
      active += c.active ?? 0;
      workers += await queue.getWorkersCount();
    }
    return { waiting, active, workers };
  }

  async close() {
    for (const { queue, events } of this.queues.values()) await Promise.all([queue.close(), events.close()]);
  }
}

/** The worker holds other artefacts for a model than the node that queued the job. */
export class WorkerArtefactMismatchError extends BaseError {
  override name = 'WorkerArtefactMismatchError';
  constructor({ modelId, expected, actual }: { modelId: Hex; expected: string; actual: string }) {
    super(`this worker's artefacts for model ${modelId} (verification key sha256 ${actual.slice(0, 16)}…) differ from the node's (${expected.slice(0, 16)}…)`, {
      details: 'Give the worker the same artefacts as the node: the same content hash in both configs.',
    });
  }
}

export type ProvingWorkerOptions = {
  redis: string;
  models: readonly { modelId: Hex; dir: string }[];
  /** proofs this process computes at once (default 1: a proof uses every core) */
  concurrency?: number;
  /** a job whose worker stops renewing its lock for this long goes to another worker (default 60 s) */
  lockDurationMs?: number;
  /** how often workers look for jobs whose worker died (default: lockDurationMs) */
  stalledIntervalMs?: number;
  /** name in logs and in each result (default: host name and pid) */
  name?: string;
  logger?: Logger;
  /** the Groth16 engine (default VERITY_PROVER, else native when built) */
  prover?: { backend?: BackendChoice; threads?: number };
};

export type ProvingWorker = { name: string; close(): Promise<void> };

/**
 * `verity node worker`: takes proofs for its models from Redis and computes them. It needs no
 * key and no RPC; the node that queued a job checks the proof before it submits it. A worker
 * killed mid-proof stops renewing its lock; after `lockDurationMs` another worker takes the job.
 *
 * @example
 * const w = await startProvingWorker({ redis: 'redis://10.0.0.5:6379', models: [{ modelId, dir: 'build/spam' }] })
 */
export async function startProvingWorker(o: ProvingWorkerOptions): Promise<ProvingWorker> {
  const log = o.logger ?? createLogger();
  const name = o.name ?? `${hostname()}-${process.pid}`;
  const lockDuration = o.lockDurationMs ?? 60_000;
  const workers: Worker[] = [];
  const provers: Prover[] = [];
  for (const m of o.models) {
    const prover = await Prover.load(m.dir, o.prover);
    provers.push(prover);
    const { fingerprint } = verificationKey(prover);
    const worker = new Worker<TaskData, ProofResult>(queueName(m.modelId), async (job: QueueJob<TaskData, ProofResult>) => {
      const { requestId, modelId } = job.data;
      if (job.data.fingerprint !== fingerprint) throw new UnrecoverableError(new WorkerArtefactMismatchError({ modelId, expected: job.data.fingerprint, actual: fingerprint }).message);
      log.info({ requestId, job: job.id, worker: name }, 'proving');
      const result = await proveTask(prover, { input: job.data.input, binding: BigInt(job.data.binding) }, name);
      log.info({ requestId, job: job.id, worker: name, proveMs: Math.round(result.proveMs) }, 'proved');
      return result;
    }, {
      connection: redisConnection(o.redis), prefix: QUEUE_PREFIX, concurrency: o.concurrency ?? 1, name,
      lockDuration, stalledInterval: o.stalledIntervalMs ?? lockDuration, maxStalledCount: 5,
    });
    worker.on('error', (e) => log.warn({ err: e.message, modelId: m.modelId }, 'Redis error (proving worker)'));
    worker.on('failed', (job, e) => log.warn({ requestId: job?.data.requestId, job: job?.id, err: e.message }, 'proof failed'));
    await worker.waitUntilReady();
    workers.push(worker);
    log.info({ modelId: m.modelId, dir: m.dir, queue: queueName(m.modelId), worker: name }, 'worker serving model');
  }
  return {
    name,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(provers.map((p) => p.close()));
    },
  };
}
