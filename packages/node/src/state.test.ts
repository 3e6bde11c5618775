// What the parts of a running node share: job updates announced as events, sleeps that stop()
// ends at once, proofs on the queue aborted only when asked, the store pinned to its owner.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { Hex } from 'viem';
import { NodeState } from './state.js';
import { openStore, StoreMismatchError } from './startup.js';
import { JobStore, type Job } from './store.js';

const MODEL = `0x${'11'.repeat(32)}` as Hex;
const job = (requestId: bigint): Job => ({ requestId, modelId: MODEL, input: '0x01', block: 1n, requestedAt: 1, state: 'queued', attempts: 0, updatedAt: 1 });

test('state.update writes the job and announces it as a job event', () => {
  const store = new JobStore(':memory:');
  store.reconcileScan([job(1n)], { from: 1n, to: 1n }, 2n);
  const events = new EventEmitter();
  const seen: Job[] = [];
  events.on('job', (j: Job) => seen.push(j));
  const state = new NodeState(store, events);
  state.update(1n, { state: 'proving', attempts: 1 });
  assert.deepEqual(seen.map((j) => [j.requestId, j.state, j.attempts]), [[1n, 'proving', 1]]);
  assert.equal(store.job(1n)?.state, 'proving');
  store.close();
});

test('state.stop ends every sleep at once, and aborts queued proofs only when asked', async () => {
  const store = new JobStore(':memory:');
  const state = new NodeState(store, new EventEmitter());
  let woke = 0;
  const sleeps = [state.sleep(3_600_000), state.sleep(3_600_000)].map((s) => s.then(() => { woke += 1; }));
  await Promise.resolve();
  assert.equal(woke, 0);
  state.stop({ abortProofs: false });
  await Promise.all(sleeps);
  assert.deepEqual([woke, state.stopped, state.abort.signal.aborted], [2, true, false]);
  const queued = new NodeState(store, new EventEmitter());
  queued.stop({ abortProofs: true });
  assert.equal(queued.abort.signal.aborted, true);
  store.close();
});

test('state.chainNow counts from the head block\'s timestamp, not the local clock', () => {
  const store = new JobStore(':memory:');
  const state = new NodeState(store, new EventEmitter());
  // The head block is from 1970 (second 1,000) and was seen 5 s ago: the chain's time is 1,005 s at least, nowhere near ours.
  state.headTime = { timestamp: 1_000, seenAt: Date.now() - 5_000 };
  const now = state.chainNow();
  assert.ok(now >= 1_005_000 && now < Date.now() / 2, String(now));
  store.close();
});

test('openStore pins a store to its chain, Coprocessor and operator', () => {
  const a = '0x00000000000000000000000000000000000000aa' as const;
  const b = '0x00000000000000000000000000000000000000bb' as const;
  const store = openStore(new JobStore(':memory:'), { chain: 31337, coprocessor: a, operator: b });
  assert.equal(openStore(store, { chain: 31337, coprocessor: a, operator: b }), store);
  const mismatch = (key: string) => (e: unknown) => e instanceof StoreMismatchError && e.key === key;
  assert.throws(() => openStore(store, { chain: 1, coprocessor: a, operator: b }), mismatch('chain'));
  assert.throws(() => openStore(store, { chain: 31337, coprocessor: b, operator: b }), mismatch('coprocessor'));
  assert.throws(() => openStore(store, { chain: 31337, coprocessor: a, operator: a }), mismatch('operator'));
  store.close();
});
