import type { Address, Hex, PublicClient } from 'viem';
import { coprocessorAbi, getLogsBounded } from '@verity/sdk';
import type { Logger } from './log.js';
import type { Job, JobStore } from './store.js';

/** Blocks re-read on every poll by default: a reorg deeper than this is not repaired. */
export const DEFAULT_REORG_DEPTH = 12;

const START_KEY = 'scan.start';

/**
 * Finds the `Requested` events of the models a node serves, over bounded block ranges from
 * the cursor in its store. Each poll also re-reads the last `reorgDepth` blocks below the
 * cursor, so a request that a reorg removed, or replaced by another with the same sequential
 * id and a different input, is noticed before the node proves it ({@link JobStore.reconcileScan}).
 * The re-read never goes below the first block this store scanned.
 */
export class RequestScanner {
  /** the next block to read for the first time */
  cursor: bigint;
  /** the first block this store ever scanned */
  readonly start: bigint;

  constructor(private readonly p: {
    publicClient: PublicClient; coprocessor: Address; store: JobStore; log: Logger;
    serves: (modelId: Hex) => boolean; maxRange: bigint; reorgDepth: number; firstBlock: bigint;
    onJob: (job: Job) => void;
  }) {
    this.cursor = p.store.cursor() ?? p.firstBlock;
    const start = p.store.meta(START_KEY);
    this.start = start === undefined ? this.cursor : BigInt(start);
    if (start === undefined) p.store.setMeta(START_KEY, this.start.toString());
  }

  /** Reads up to `head`: the re-read window first, then the new blocks, one range at a time. */
  async scan(head: bigint, stopped: () => boolean = () => false): Promise<void> {
    const { store, log } = this.p;
    const back = this.cursor - BigInt(this.p.reorgDepth);
    let from = back > this.start ? back : this.start;
    while (from <= head && !stopped()) {
      const to = from + this.p.maxRange - 1n < head ? from + this.p.maxRange - 1n : head;
      const events = await getLogsBounded(this.p.publicClient, { address: this.p.coprocessor, abi: coprocessorAbi, eventName: 'Requested', fromBlock: from, toBlock: to, maxRange: this.p.maxRange });
      const found: Job[] = [];
      for (const e of events) {
        const { requestId, modelId, input } = e.args as { requestId: bigint; modelId: Hex; input: Hex };
        if (!this.p.serves(modelId)) continue;
        found.push({ requestId, modelId, input, block: e.blockNumber, requestedAt: Date.now(), state: 'queued', attempts: 0, updatedAt: Date.now() });
      }
      const cursor = to + 1n > this.cursor ? to + 1n : this.cursor;
      // Jobs, their corrections and the cursor past them are committed together.
      const { added, changed, reorged } = store.reconcileScan(found, { from, to }, cursor);
      for (const job of added) {
        log.info({ requestId: job.requestId.toString(), modelId: job.modelId, block: job.block.toString() }, 'request seen');
        this.p.onJob(job);
      }
      for (const job of changed) {
        log.warn({ requestId: job.requestId.toString(), modelId: job.modelId, block: job.block.toString(), state: job.state, why: job.error }, 'request changed by a reorg; job updated');
        this.p.onJob(job);
      }
      for (const job of reorged) {
        log.warn({ requestId: job.requestId.toString(), block: job.block.toString() }, 'request reorged out; waiting for it to come back');
        this.p.onJob(job);
      }
      this.cursor = cursor;
      from = to + 1n;
    }
  }
}
