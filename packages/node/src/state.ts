import type { EventEmitter } from 'node:events';
import type { PublicClient } from 'viem';
import { Histogram } from './metrics.js';
import type { Job, JobStore } from './store.js';

/**
 * What the parts of a running node share, in one place: the chain head as last read, whether
 * the node is stopping, the RPC's health, the proving-time histogram, the sleeps that `stop()`
 * cuts short, and the job updates that every part announces as `job` events.
 */
export class NodeState {
  /** the latest block read */
  head = 0n;
  /** the head block's timestamp (s) and when this node first saw it (ms): the chain's clock, read without trusting ours */
  headTime = { timestamp: 0, seenAt: 0 };
  stopped = false;
  /** when a poll of the RPC last succeeded (ms) */
  lastPollOk = Date.now();
  /** failed polls of the RPC since the node started */
  rpcErrors = 0;
  readonly proveTimes = new Histogram();
  /** aborts proofs waiting on the proving queue when the node stops */
  readonly abort = new AbortController();
  private readonly sleeps = new Set<() => void>();

  constructor(private readonly store: JobStore, private readonly events: EventEmitter) {}

  /** The chain's time now (ms), estimated from the head block: never ahead of the next block's. */
  chainNow(): number {
    return this.headTime.timestamp * 1000 + (Date.now() - this.headTime.seenAt);
  }

  /** Reads the head block (and its timestamp when it changed); returns its number. */
  async readHead(publicClient: PublicClient): Promise<bigint> {
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (latest !== this.head || this.headTime.seenAt === 0) {
      this.headTime = { timestamp: Number((await publicClient.getBlock({ blockNumber: latest })).timestamp), seenAt: Date.now() };
    }
    this.head = latest;
    return latest;
  }

  /** Announces a job as it is now. */
  announce(job: Job): void {
    this.events.emit('job', job);
  }

  /** Writes a job's change to the store and announces it. */
  update(requestId: bigint, patch: Partial<Omit<Job, 'requestId'>>): Job {
    const job = this.store.updateJob(requestId, patch);
    this.announce(job);
    return job;
  }

  /** Waits `ms`, or less if the node stops meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => { this.sleeps.delete(wake); clearTimeout(timer); resolve(); };
      const timer = setTimeout(wake, ms);
      this.sleeps.add(wake);
    });
  }

  /**
   * Marks the node stopping, aborts proofs waiting on the queue when `abortProofs` (they are
   * abandoned, not lost: the next start finds them by their fixed job ids) and ends every sleep.
   */
  stop({ abortProofs }: { abortProofs: boolean }): void {
    this.stopped = true;
    if (abortProofs) this.abort.abort(new Error('node stopping'));
    for (const wake of [...this.sleeps]) wake();
  }
}
