// Scale-out: a node whose proofs are computed by `verity node worker` processes behind
// BullMQ on a real redis-server. Real anvil, real node and worker processes; every request
// must end fulfilled exactly once on chain.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { PublicClient } from 'viem';
import type { Wallet } from '@verity/sdk';
import { releaseCurves, type CompiledModel } from '@verity/zkml';
import type { Anvil } from '../../cli/src/anvil.js';
import { anvilKey } from '../../cli/src/chain.js';
import { ConfigError, loadNodeConfig, loadWorkerConfig } from '../src/config.js';
import { fulfilments, network, nodeConfig, NodeProcess, startRedis, startTestbed, stopTestbed, type Network } from './harness.js';

let bed: Awaited<ReturnType<typeof startTestbed>>;
let redis: { url: string; stop(): Promise<void> };
let anvil: Anvil;
let publicClient: PublicClient;
let admin: Wallet, owner: Wallet, user: Wallet, opA: Wallet;
const keyA = anvilKey(2);
let compiled: CompiledModel;
let dir: string;

before(async () => {
  [bed, redis] = await Promise.all([startTestbed('verity-scaleout-'), startRedis()]);
  ({ anvil, publicClient, compiled, dir } = bed);
  [admin, owner, opA, user] = bed.wallets as [Wallet, Wallet, Wallet, Wallet];
});

after(async () => {
  await stopTestbed(bed);
  await redis?.stop();
  await releaseCurves();
});

/** The processes a test started: stopped after it, passed or failed, so none takes the next test's jobs. */
const perTest: NodeProcess[] = [];
afterEach(async () => {
  await Promise.all(perTest.splice(0).map((p) => p.stop()));
});
const track = (n: NodeProcess) => (perTest.push(n), bed.track(n));
const ask = (net: Network, i: number) => bed.ask(net, i);

/**
 * A worker config. `lockDurationMs`: how long a job stays with a worker that stops renewing its
 * lock. The kill test wants a short one (a dead worker's job moves on within seconds); where
 * every job must be proved exactly once, a long one, since a worker starved of CPU on a busy
 * machine renews late and a short lock would hand its job to the other worker meanwhile.
 */
function worker(net: Network, name: string, lockDurationMs = 3000): NodeProcess {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ redis: redis.url, name, lockDurationMs, stalledIntervalMs: 1000, models: [{ modelId: net.modelId, dir: compiled.dir }] }));
  return track(NodeProcess.worker(path));
}

const startNode = (config: string) => track(NodeProcess.start(config, keyA));

/** Who proved `requestId`, from the node's 'proved' log line. */
const provedBy = (node: NodeProcess, id: bigint) => node.lines.filter((l) => l.msg === 'proved' && l.requestId === id.toString()).map((l) => l.worker);

test('proofs on two workers behind Redis: every request fulfilled once, both workers prove, the node proves none itself', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const [w1, w2] = [worker(net, 'w1', 60_000), worker(net, 'w2', 60_000)];
  await Promise.all([w1.waitForMsg('worker serving model'), w2.waitForMsg('worker serving model')]);
  const node = startNode(nodeConfig(dir, 'two-workers', anvil.rpcUrl, net, compiled.dir, { proving: { redis: redis.url, concurrency: 4 } }));
  await node.waitForMsg('node started');
  assert.ok(node.has('proofs go to proving workers through Redis'));

  const ids: bigint[] = [];
  for (let i = 0; i < 8; i++) ids.push(await ask(net, i));
  for (const id of ids) await node.waitForMsg('fulfilled', id, 120_000);

  for (const id of ids) {
    assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, `request ${id} fulfilled once`);
    assert.equal(provedBy(node, id).length, 1, `request ${id} proved once`);
  }
  const workers = new Set(ids.flatMap((id) => provedBy(node, id)));
  assert.deepEqual([...workers].sort(), ['w1', 'w2'], 'both workers proved, the node none locally');
  // Each worker logged the proofs it computed: together, each request exactly once.
  const byWorkers = [w1, w2].flatMap((w) => w.lines.filter((l) => l.msg === 'proved').map((l) => l.requestId));
  assert.deepEqual(byWorkers.sort(), ids.map(String).sort());
  // The node's /metrics shows the queue and its workers.
  const url = (await node.waitForMsg('serving /health and /metrics')).url as string;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /^verity_proving_workers 2$/m);
  assert.match(metrics, /^verity_proving_queue\{state="waiting"\} 0$/m);
  await Promise.all([node.stop(), w1.stop(), w2.stop()]);
});

test('a worker killed with SIGKILL mid-proof: another worker takes the job after its lock lapses; fulfilled once', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const node = startNode(nodeConfig(dir, 'kill-worker', anvil.rpcUrl, net, compiled.dir, { proving: { redis: redis.url } }));
  await node.waitForMsg('node started');
  // The kill follows the worker's 'proving' line by milliseconds and a proof takes ~300 ms:
  // a kill that lands after the proof shows as the victim in the node's log, and we try again.
  for (let attempt = 1; ; attempt++) {
    const victim = worker(net, `victim-${attempt}`);
    await victim.waitForMsg('worker serving model');
    const id = await ask(net, attempt);
    await victim.waitForMsg('proving', id);
    await victim.kill9();
    const survivor = worker(net, `survivor-${attempt}`);
    await node.waitForMsg('fulfilled', id, 60_000);
    await survivor.stop();
    assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1);
    const by = provedBy(node, id);
    assert.equal(by.length, 1);
    if (by[0] === `survivor-${attempt}`) {
      assert.ok(survivor.lines.some((l) => l.msg === 'proved' && l.requestId === id.toString()));
      assert.ok(!victim.lines.some((l) => l.msg === 'proved'), 'the victim never finished a proof');
      break;
    }
    assert.ok(attempt < 3, `the kill never landed mid-proof in ${attempt} tries`);
  }
  await node.stop();
});

test('the node killed with SIGKILL while its proofs are queued: restarted, it takes the finished proofs; nothing proved or fulfilled twice', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const config = nodeConfig(dir, 'kill-node', anvil.rpcUrl, net, compiled.dir, { proving: { redis: redis.url, concurrency: 4 } });
  let node = startNode(config);
  await node.waitForMsg('node started');
  // No worker yet: the proofs wait in Redis.
  const ids = [await ask(net, 0), await ask(net, 1), await ask(net, 2)];
  for (const id of ids) await node.waitForMsg('proof queued', id);
  await node.kill9();
  // A worker proves them while the node is down.
  const w = worker(net, 'w-alone');
  for (const id of ids) await w.waitForMsg('proved', id);
  node = startNode(config);
  for (const id of ids) await node.waitForMsg('fulfilled', id, 60_000);
  for (const id of ids) {
    assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, `request ${id} fulfilled once`);
    assert.ok(node.lines.some((l) => l.msg === 'proof already queued before a restart: waiting for it' && l.requestId === id.toString()), `request ${id} re-attached to its queued proof`);
    assert.equal(w.lines.filter((l) => l.msg === 'proving' && l.requestId === id.toString()).length, 1, `request ${id} proved once`);
  }
  await Promise.all([node.stop(), w.stop()]);
});

test('a worker holding other artefacts refuses the job; the node retries and a worker with the right ones serves it', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  // Same model id, but a verification key that is not byte-for-byte the node's.
  const other = join(dir, 'other-artefacts');
  cpSync(compiled.dir, other, { recursive: true });
  const vkPath = join(other, 'verification_key.json');
  writeFileSync(vkPath, JSON.stringify(JSON.parse(readFileSync(vkPath, 'utf8'))));
  const wrongConfig = join(dir, 'wrong.json');
  writeFileSync(wrongConfig, JSON.stringify({ redis: redis.url, name: 'wrong', models: [{ modelId: net.modelId, dir: other }] }));
  const wrong = track(NodeProcess.worker(wrongConfig));
  await wrong.waitForMsg('worker serving model');
  const node = startNode(nodeConfig(dir, 'mismatch', anvil.rpcUrl, net, compiled.dir, { proving: { redis: redis.url }, maxAttempts: 3 }));
  await node.waitForMsg('node started');
  const id = await ask(net, 0);
  const refused = await node.waitForMsg('job will be retried', id);
  assert.match(String(refused.err), /artefacts for model .* differ from the node's/);
  await wrong.stop();
  const right = worker(net, 'right');
  await node.waitForMsg('fulfilled', id, 60_000);
  assert.deepEqual(provedBy(node, id), ['right']);
  assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1);
  await Promise.all([node.stop(), right.stop()]);
});

test('proving config: a Redis URL that is not redis:// is refused by field, for the node and the worker', () => {
  const file = join(dir, 'bad-redis.json');
  const model = { modelId: `0x${'11'.repeat(32)}`, dir: '.' };
  writeFileSync(file, JSON.stringify({ rpc: 'http://127.0.0.1:8545', coprocessor: `0x${'22'.repeat(20)}`, models: [model], proving: { redis: 'http://127.0.0.1:6379' } }));
  assert.throws(() => loadNodeConfig(file, { VERITY_PRIVATE_KEY: keyA }), (e: unknown) => e instanceof ConfigError && /proving\.redis must be a redis:\/\//.test(e.message));
  writeFileSync(file, JSON.stringify({ models: [model] }));
  assert.throws(() => loadWorkerConfig(file, {}), (e: unknown) => e instanceof ConfigError && /: redis must be a redis:\/\//.test(e.message));
  assert.equal(loadWorkerConfig(file, { VERITY_REDIS_URL: 'redis://10.0.0.5:6379' }).redis, 'redis://10.0.0.5:6379');
  // Without a proving section the node proves in its own process: no Redis involved.
  writeFileSync(file, JSON.stringify({ rpc: 'http://127.0.0.1:8545', coprocessor: `0x${'22'.repeat(20)}`, models: [model] }));
  assert.equal(loadNodeConfig(file, { VERITY_PRIVATE_KEY: keyA }).proving, undefined);
});
