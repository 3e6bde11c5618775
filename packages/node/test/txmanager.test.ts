import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Hex, LocalAccount, PublicClient } from 'viem';
import type { Wallet } from '@verity/sdk';
import { startAnvil, type Anvil } from '../../cli/src/anvil.js';
import { anvilKey, connect } from '../../cli/src/chain.js';
import { JobStore } from '../src/store.js';
import { TxManager } from '../src/txmanager.js';

let anvil: Anvil;
let publicClient: PublicClient;
let wallet: Wallet;
const log = pino({ level: 'silent' });
const rpc = (method: string, params: unknown[]) => publicClient.request({ method: method as never, params: params as never });

before(async () => {
  anvil = await startAnvil();
  const c = await connect(anvil.rpcUrl);
  publicClient = c.publicClient;
  wallet = c.wallet(anvilKey(5));
});
after(async () => anvil?.stop());

const manager = (store: JobStore, o: { bumpAfterMs?: number; confirmations?: number } = {}) =>
  new TxManager({ publicClient, account: wallet.account as LocalAccount, chainId: 31337, store, log, rebroadcastMs: 60_000, ...o });
const call = { to: '0x000000000000000000000000000000000000dEaD' as Hex, data: '0x' as Hex, gas: 30_000n };
const head = () => publicClient.getBlockNumber({ cacheTime: 0 });

test('a transaction is stored before it is broadcast, and confirmed after its confirmations', async () => {
  const store = new JobStore(':memory:');
  const txm = manager(store, { confirmations: 2 });
  const tx = await txm.send(1n, call);
  assert.equal(store.txsForRequest(1n)[0]?.raw, tx.raw, 'stored with its raw bytes');
  let out = await txm.tick(await head());
  assert.deepEqual(out.map((o) => o.event), ['mined'], 'mined, one confirmation');
  await rpc('anvil_mine', ['0x1']);
  out = await txm.tick(await head());
  assert.deepEqual(out.map((o) => o.event), ['confirmed']);
  assert.equal(store.txsForRequest(1n)[0]?.state, 'confirmed');
  assert.deepEqual(await txm.tick(await head()), [], 'nothing left to do');
});

test('a stuck transaction is replaced at the same nonce with higher fees; one attempt is mined, the other marked replaced', async () => {
  const store = new JobStore(':memory:');
  const txm = manager(store, { bumpAfterMs: 200 });
  await rpc('evm_setAutomine', [false]);
  try {
    const first = await txm.send(7n, call);
    // The mempool loses it (a node restart, an eviction): it would never be mined.
    await rpc('anvil_dropTransaction', [first.hash]);
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(await txm.tick(await head()), []);
    const attempts = store.txsAtNonce(first.nonce);
    assert.equal(attempts.length, 2, 'a replacement was signed');
    assert.ok(attempts[1]!.maxFeePerGas >= (first.maxFeePerGas * 1125n) / 1000n, 'fee raised by at least 12.5%');
    await rpc('anvil_mine', ['0x1']);
    const out = await txm.tick(await head());
    assert.deepEqual(out.map((o) => [o.event, o.tx.hash]), [['mined', attempts[1]!.hash], ['confirmed', attempts[1]!.hash]]);
    assert.deepEqual(store.txsAtNonce(first.nonce).map((t) => t.state), ['replaced', 'confirmed']);
  } finally {
    await rpc('evm_setAutomine', [true]);
  }
});

test('after a restart the stored pending transaction is broadcast again, not a new one', async () => {
  const store = new JobStore(':memory:');
  await rpc('evm_setAutomine', [false]);
  try {
    const tx = await manager(store).send(9n, call);
    await rpc('anvil_dropTransaction', [tx.hash]);
    // A new manager (the restarted process) on the same store.
    const again = manager(store);
    await again.tick(await head());
    await rpc('anvil_mine', ['0x1']);
    const out = await again.tick(await head());
    assert.deepEqual(out.map((o) => [o.event, o.tx.hash]), [['mined', tx.hash], ['confirmed', tx.hash]]);
    assert.equal(store.txsForRequest(9n).length, 1, 'no second transaction');
  } finally {
    await rpc('evm_setAutomine', [true]);
  }
});
