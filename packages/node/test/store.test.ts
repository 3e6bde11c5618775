// The store's reconciliation of a scan with the jobs it holds: what a reorg can do to a request
// before the node serves it (removed, or replaced by another with the same id), in one transaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hex } from 'viem';
import { JobStore, type Job } from '../src/store.js';

const MODEL = `0x${'11'.repeat(32)}` as Hex;
const job = (requestId: bigint, input: Hex, block: bigint): Job => ({ requestId, modelId: MODEL, input, block, requestedAt: 1, state: 'queued', attempts: 0, updatedAt: 1 });

test('a rescan adds new requests, re-queues one whose input a reorg changed, marks one it removed, and brings it back when it returns', () => {
  const store = new JobStore(':memory:');
  let r = store.reconcileScan([job(1n, '0x01', 10n), job(2n, '0x02', 11n)], { from: 10n, to: 12n }, 13n);
  assert.deepEqual(r.added.map((j) => j.requestId), [1n, 2n]);
  assert.equal(store.cursor(), 13n);
  // The same blocks read again: nothing changes.
  r = store.reconcileScan([job(1n, '0x01', 10n), job(2n, '0x02', 11n)], { from: 10n, to: 13n }, 14n);
  assert.deepEqual([r.added, r.changed, r.reorged].map((x) => x.length), [0, 0, 0]);
  store.updateJob(1n, { state: 'waiting', attempts: 2, notBefore: 99 });
  // A reorg: request 1 now has another input, request 2 is gone.
  r = store.reconcileScan([job(1n, '0xff', 11n)], { from: 10n, to: 14n }, 15n);
  assert.deepEqual(r.changed.map((j) => [j.requestId, j.input, j.block, j.state, j.attempts, j.notBefore]), [[1n, '0xff', 11n, 'queued', 0, undefined]]);
  assert.deepEqual(r.reorged.map((j) => [j.requestId, j.state]), [[2n, 'reorged']]);
  // Request 2 comes back in a later block: queued again, with its input.
  r = store.reconcileScan([job(1n, '0xff', 11n), job(2n, '0x02', 15n)], { from: 11n, to: 15n }, 16n);
  assert.deepEqual(r.changed.map((j) => [j.requestId, j.state, j.block]), [[2n, 'queued', 15n]]);
  store.close();
});

test('a rescan never touches a job the node has served or is serving (the fulfilment path handles those)', () => {
  const store = new JobStore(':memory:');
  store.reconcileScan([job(1n, '0x01', 10n), job(2n, '0x02', 10n)], { from: 10n, to: 10n }, 11n);
  store.updateJob(1n, { state: 'submitting' });
  store.updateJob(2n, { state: 'fulfilled' });
  const r = store.reconcileScan([job(1n, '0xff', 10n)], { from: 10n, to: 11n }, 12n);
  assert.deepEqual([r.changed.length, r.reorged.length], [0, 0]);
  assert.deepEqual([store.job(1n)?.input, store.job(1n)?.state, store.job(2n)?.state], ['0x01', 'submitting', 'fulfilled']);
  store.close();
});
