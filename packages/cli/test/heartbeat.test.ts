// keepMining: empty blocks every busyMs while the chain is in use, none (here) once it is quiet,
// and the fast beat back as soon as a transaction comes. On a real anvil.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keepMining, startAnvil, type Anvil } from '../src/anvil.js';
import { anvilKey, connect } from '../src/chain.js';

let anvil: Anvil;
let stop: (() => Promise<void>) | undefined;
before(async () => { anvil = await startAnvil(); });
after(async () => { await stop?.(); await anvil?.stop(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the heartbeat mines while the chain is in use, stops when it is quiet, and comes back with a transaction', async () => {
  const { publicClient, wallet } = await connect(anvil.rpcUrl);
  const head = () => publicClient.getBlockNumber({ cacheTime: 0 });
  /** Polls until `ok` holds (bounded: the assertion names what never happened). */
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; i < 600; i++) { if (await ok()) return; await sleep(100); }
    assert.fail(`never: ${what}`);
  };
  const start = await head();
  // Quiet after 1 s without a transaction; then a block only every hour, i.e. none in this test.
  stop = keepMining(anvil.rpcUrl, { busyMs: 100, idleMs: 3_600_000, idleAfterMs: 1_000 });
  // A quiet chain's first second still counts as in use (it has just started): blocks come.
  await until('blocks while in use', async () => (await head()) > start);
  // Then it goes quiet: the head stops moving (two reads half a second apart agree).
  await until('the heartbeat stops on a quiet chain', async () => { const a = await head(); await sleep(500); return (await head()) === a; });
  const quiet = await head();
  await sleep(1_000);
  assert.equal(await head(), quiet, 'no block on a quiet chain');
  // A transaction (automined into its own block) brings the heartbeat back.
  const user = wallet(anvilKey(3));
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await user.sendTransaction({ to: user.account.address, value: 1n }) });
  await until('empty blocks after the transaction', async () => (await head()) >= receipt.blockNumber + 3n);
});
