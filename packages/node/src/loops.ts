import type { PublicClient } from 'viem';
import type { ProvedJobs } from './jobs.js';
import { errorText, type Logger } from './log.js';
import type { ProvingBackend } from './proving.js';
import type { RequestScanner } from './scanner.js';
import type { NodeState } from './state.js';
import type { JobStore } from './store.js';
import type { TxManager } from './txmanager.js';
import type { Validator } from './validator.js';

// The node's three loops. Each runs until `state.stopped`; the node's stop() awaits them.

type LoopContext = { state: NodeState; pollMs: number; log: Logger };

/**
 * Runs `tick` every `pollMs` until the node stops; after a failure it waits
 * `pollMs * 2^failures` (at most 10 s) and logs `failed` with the error. `onSuccess` gets the
 * number of failures the success ended.
 */
async function pollEvery(
  { state, pollMs, log }: LoopContext,
  tick: () => Promise<void>,
  p: { failed: string; onFailure?: () => void; onSuccess?: (failures: number) => void },
): Promise<void> {
  let failures = 0;
  while (!state.stopped) {
    try {
      await tick();
      p.onSuccess?.(failures);
      failures = 0;
      await state.sleep(pollMs);
    } catch (e) {
      failures += 1;
      p.onFailure?.();
      const delay = Math.min(10_000, pollMs * 2 ** Math.min(failures, 10));
      log.warn({ failures, retryInMs: delay, err: errorText(e) }, p.failed);
      await state.sleep(delay);
    }
  }
}

/**
 * Events and transactions: reads the head and scans it for requests, settles what happened to
 * the node's transactions, and queues the waiting jobs whose time has come; with backoff while
 * the RPC fails.
 */
export function pollChain(ctx: LoopContext, p: { publicClient: PublicClient; scanner: RequestScanner; txm: TxManager; jobs: ProvedJobs; store: JobStore }): Promise<void> {
  const { state, log } = ctx;
  return pollEvery(ctx, async () => {
    const head = await state.readHead(p.publicClient);
    await p.scanner.scan(head, () => state.stopped);
    for (const outcome of await p.txm.tick(head)) await p.jobs.settle(outcome);
    for (const job of p.store.jobs(['waiting'])) {
      if ((job.notBefore ?? 0) <= Date.now()) state.update(job.requestId, { state: 'queued' });
    }
  }, {
    failed: 'poll failed; backing off',
    onFailure: () => { state.rpcErrors += 1; },
    onSuccess: (failures) => {
      if (failures > 0) log.info({ failures, downForMs: Date.now() - state.lastPollOk }, 'RPC recovered');
      state.lastPollOk = Date.now();
    },
  });
}

/** Agreed mode: its own loop, so a slow provider never holds up the proved-mode polling. */
export function validateAgreed(ctx: LoopContext, validator: Validator): Promise<void> {
  return pollEvery(ctx, () => validator.tick(ctx.state.head), { failed: 'agreed mode: poll failed; backing off' });
}

/**
 * Proving: sends the proofs waiting for their batch, then starts the next queued job whose
 * time has come; locally one job at a time (a proof uses every core), with proving workers up
 * to the backend's concurrency at once. Ends once the jobs in flight have.
 */
export async function workJobs({ state, pollMs, log }: LoopContext, p: { jobs: ProvedJobs; store: JobStore; proving: ProvingBackend }): Promise<void> {
  const inFlight = new Map<bigint, Promise<void>>();
  while (!state.stopped) {
    try {
      await p.jobs.submitProved();
    } catch (e) {
      log.warn({ err: errorText(e) }, 'sending proved requests failed; trying again');
    }
    if (inFlight.size >= p.proving.concurrency) {
      await Promise.race(inFlight.values());
      continue;
    }
    const next = p.store.jobs(['queued']).find((j) => (j.notBefore ?? 0) <= Date.now() && !inFlight.has(j.requestId));
    if (!next) {
      await state.sleep(pollMs);
      continue;
    }
    const run = p.jobs.work(next)
      .catch((e) => (state.stopped ? undefined : p.jobs.onError(next, e)))
      .catch((e) => log.error({ requestId: next.requestId.toString(), err: errorText(e) }, 'job error handling failed'))
      .finally(() => inFlight.delete(next.requestId));
    inFlight.set(next.requestId, run);
  }
  await Promise.all(inFlight.values());
}
