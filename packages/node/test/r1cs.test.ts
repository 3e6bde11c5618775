// A node serving a model compiled by the r1cs backend (`verity compile --backend r1cs`): it
// fetches the artefacts by content hash (circuit.eliminated.json instead of circom's witness
// wasm), checks them against the registry, proves with the TypeScript witness on a worker
// thread and fulfils the request on anvil with the answer the quantised model gives; and a
// proving worker behind Redis (`verity node worker`) proves for a node the same way.
import assert from 'node:assert/strict';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeProvedOutput, RequestStatus, type Wallet } from '@verity/sdk';
import { decodeInputBytes, inferQuantized, releaseCurves } from '@verity/zkml';
import { nodeFiles, packArtefacts } from '../src/artefacts.js';
import { anvilKey } from '../../cli/src/chain.js';
import { fulfilments, network, nodeConfig, NodeProcess, startRedis, startTestbed, stopTestbed } from './harness.js';

let bed: Awaited<ReturnType<typeof startTestbed>>;
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;

before(async () => {
  bed = await startTestbed('verity-r1cs-node-', 'r1cs');
  redis = await startRedis();
});

after(async () => {
  await stopTestbed(bed);
  await redis?.stop();
  await releaseCurves();
});

test('a node fetches an r1cs-compiled model by content hash and fulfils a request for it on anvil', async () => {
  const { anvil, publicClient, compiled, dir } = bed;
  assert.equal(compiled.report.backend, 'r1cs');
  const [admin, owner, opA, user] = bed.wallets as [Wallet, Wallet, Wallet, Wallet];
  const published = join(dir, 'published');
  cpSync(compiled.dir, published, { recursive: true });
  const files = nodeFiles(published);
  assert.ok(files.includes('circuit.eliminated.json') && !files.some((f) => f.endsWith('.wasm')), 'the r1cs backend\'s witness file travels, no wasm');
  const artefacts = packArtefacts(published);
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const node = bed.track(NodeProcess.start(nodeConfig(dir, 'r1cs', anvil.rpcUrl, net, compiled.dir, { models: [{ modelId: net.modelId, artefacts, source: published }] }), anvilKey(2)));
  await node.waitForMsg('model loaded');
  assert.ok(existsSync(join(dir, 'data', 'artefacts', artefacts.slice('sha256:'.length), 'circuit.eliminated.json')), 'installed in the content-addressed cache');
  const id = await bed.ask(net, 1);
  await node.waitForMsg('fulfilled', id);
  const events = await fulfilments(publicClient, net.addresses.coprocessor, id);
  assert.equal(events.length, 1, 'fulfilled exactly once');
  const expected = inferQuantized(compiled.model, decodeInputBytes(compiled.report.layout, bed.inputs[1]!));
  assert.deepEqual(decodeProvedOutput(events[0]!.args.output!), expected, 'the answer is the quantised model\'s');
  assert.equal(RequestStatus[(await net.client.getRequest(id)).status], 'Fulfilled');
  await node.stop();
});

test('a proving worker behind Redis proves an r1cs-compiled model for a node: fulfilled once, proved by the worker', async () => {
  const { anvil, publicClient, compiled, dir } = bed;
  const [admin, owner, opA, user] = bed.wallets as [Wallet, Wallet, Wallet, Wallet];
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const config = join(dir, 'w1.json');
  writeFileSync(config, JSON.stringify({ redis: redis!.url, name: 'w1', lockDurationMs: 3000, stalledIntervalMs: 1000, models: [{ modelId: net.modelId, dir: compiled.dir }] }));
  const w1 = bed.track(NodeProcess.worker(config));
  await w1.waitForMsg('worker serving model');
  const node = bed.track(NodeProcess.start(nodeConfig(dir, 'r1cs-queued', anvil.rpcUrl, net, compiled.dir, { proving: { redis: redis!.url, concurrency: 2 } }), anvilKey(2)));
  await node.waitForMsg('node started');
  const ids = [await bed.ask(net, 2), await bed.ask(net, 3)];
  for (const id of ids) await node.waitForMsg('fulfilled', id, 120_000);
  for (const [k, id] of ids.entries()) {
    const events = await fulfilments(publicClient, net.addresses.coprocessor, id);
    assert.equal(events.length, 1, `request ${id} fulfilled once`);
    assert.deepEqual(decodeProvedOutput(events[0]!.args.output!), inferQuantized(compiled.model, decodeInputBytes(compiled.report.layout, bed.inputs[(2 + k) % bed.inputs.length]!)));
    assert.deepEqual(node.lines.filter((l) => l.msg === 'proved' && l.requestId === id.toString()).map((l) => l.worker), ['w1'], 'proved by the worker');
  }
  await Promise.all([node.stop(), w1.stop()]);
});
