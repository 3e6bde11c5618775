// Fault tests: real anvil, real `verity node start` processes. Each test checks that the
// request ends fulfilled exactly once (or settled as it should) on the final chain.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeFunctionData, toHex, type Hex, type PublicClient } from 'viem';
import { coprocessorAbi, decodeProvedOutput, nodeRegistryAbi, RequestStatus, type Wallet } from '@verity/sdk';
import { decodeInputBytes, inferQuantized, releaseCurves, type CompiledModel } from '@verity/zkml';
import type { Anvil } from '../../cli/src/anvil.js';
import { anvilKey } from '../../cli/src/chain.js';
import { JobStore } from '../src/store.js';
import { packArtefacts } from '../src/artefacts.js';
import { chainTimeByBlocks, fulfilments, network, nodeConfig, NodeProcess, startProxy, startTestbed, stopTestbed, type Network } from './harness.js';

let bed: Awaited<ReturnType<typeof startTestbed>>;
let anvil: Anvil;
let publicClient: PublicClient;
let admin: Wallet, owner: Wallet, user: Wallet, opA: Wallet, opB: Wallet;
const keyA = anvilKey(2);
let compiled: CompiledModel;
let dir: string;

before(async () => {
  bed = await startTestbed('verity-faults-');
  ({ anvil, publicClient, compiled, dir } = bed);
  [admin, owner, opA, user, opB] = bed.wallets as [Wallet, Wallet, Wallet, Wallet, Wallet];
});

after(async () => {
  await stopTestbed(bed);
  await releaseCurves();
});

const start = (config: string, key = keyA) => bed.track(NodeProcess.start(config, key));
const ask = (net: Network, i = 0) => bed.ask(net, i);

const statusOf = async (net: Network, id: bigint) =>
  RequestStatus[(await net.client.getRequest(id)).status];

test('kill -9 mid-proof, restart: the request is fulfilled exactly once', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const config = nodeConfig(dir, 'kill', anvil.rpcUrl, net, compiled.dir);
  const storePath = join(dir, 'kill.sqlite');
  let node = start(config);
  await node.waitForMsg('node started');

  // 1. Killed while proving. The kill follows the "proving" log line within milliseconds and a
  // proof takes about 300 ms; on a starved machine it may land later, so up to three tries.
  let first = 0n;
  for (let attempt = 1; ; attempt++) {
    first = await ask(net, attempt);
    await node.waitForMsg('proving', first);
    await node.kill9();
    const s = new JobStore(storePath);
    const midProof = s.job(first)?.state === 'proving' && s.txsForRequest(first).length === 0;
    s.close();
    if (midProof) break;
    assert.ok(attempt < 3, 'the kill landed mid-proof in one of three tries');
    node = start(config);
    await node.waitForMsg('fulfilled', first);
  }
  let store = new JobStore(storePath);
  assert.equal(store.job(first)?.state, 'proving', 'killed mid-proof: the store says proving');
  assert.equal(store.txsForRequest(first).length, 0, 'no transaction was made');
  store.close();
  assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, first)).length, 0, 'not fulfilled before the restart');

  node = start(config);
  await node.waitForMsg('resuming: proof was interrupted, proving again', first);
  await node.waitForMsg('fulfilled', first);
  assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, first)).length, 1, 'fulfilled exactly once');

  // 2. Killed the moment its fulfilment is stored (broadcast or not): the stored transaction is reused.
  const second = await ask(net, 1);
  await node.waitForMsg('transaction stored', second);
  await node.kill9();
  node = start(config);
  await node.waitForMsg('resuming: fulfilment already stored, watching it', second);
  await node.waitForMsg('fulfilled', second);
  assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, second)).length, 1, 'fulfilled exactly once');
  await node.stop();
  store = new JobStore(storePath);
  assert.equal(store.txsForRequest(second).length, 1, 'one transaction for the request, made before the kill');
  assert.deepEqual([store.job(first)?.state, store.job(second)?.state], ['fulfilled', 'fulfilled']);
  store.close();
});

test('a reorg drops the fulfilment: the node sends it again and the final chain has it exactly once', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const node = start(nodeConfig(dir, 'reorg', anvil.rpcUrl, net, compiled.dir, { confirmations: 3 }));
  await node.waitForMsg('node started');
  const id = await ask(net);
  const mined = await node.waitForMsg('transaction mined', id);
  const [before] = await fulfilments(publicClient, net.addresses.coprocessor, id);
  assert.equal(before?.transactionHash, mined.tx, 'fulfilled on chain');

  await publicClient.request({ method: 'anvil_reorg' as never, params: [1, []] as never });
  assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 0, 'the reorg removed the fulfilment');

  await node.waitForMsg('transaction reorged out; broadcasting it again', id);
  // Blocks on top, so the node can count its confirmations.
  const confirmed = node.waitForMsg('fulfilled', id);
  const miner = setInterval(() => void publicClient.request({ method: 'anvil_mine' as never, params: ['0x1'] as never }).catch(() => {}), 300);
  try {
    await confirmed;
  } finally {
    clearInterval(miner);
  }
  const final = await fulfilments(publicClient, net.addresses.coprocessor, id);
  assert.equal(final.length, 1, 'exactly once on the final chain');
  assert.equal(final[0]!.transactionHash, mined.tx, 'the same signed transaction, sent again');
  assert.equal(await statusOf(net, id), 'Fulfilled');
  await node.stop();
});

// The rescan of the last reorgDepth blocks repairs the job; with reorgDepth 0 the check of the
// job's input against the request's stored commitment, just before proving, does.
for (const [reorgDepth, repairedBy] of [[12, 'request changed by a reorg; job updated'], [0, 'request input changed on chain (reorg); proving the new input']] as const) {
test(`a request reorged out and replaced by another with the same id and a different input: proved with the new input, fulfilled once (reorgDepth ${reorgDepth})`, async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const layout = compiled.report.layout;
  const expected = (input: Hex) => inferQuantized(compiled.model, decodeInputBytes(layout, input)).map(String);
  const [oldInput, newInput] = [bed.inputs[0]!, bed.inputs[1]!];
  assert.notDeepEqual(expected(oldInput), expected(newInput), 'the two inputs give different answers');
  const node = start(nodeConfig(dir, `reorg-request-${reorgDepth}`, anvil.rpcUrl, net, compiled.dir, { reorgDepth }));
  await node.waitForMsg('node started');

  // The request is the head block: the node has seen it and waits for the next block (the draw needs its hash).
  const value = await net.client.quote(net.modelId, 100_000);
  const { requestId: id, receipt } = await net.client.request({ modelId: net.modelId, input: oldInput, callbackGasLimit: 100_000, value });
  await node.waitForMsg('request seen', id);
  assert.equal((await net.client.getRequest(id)).status, 1, 'pending');

  // The block is replaced by one holding another request from the same account: same id, other input.
  const data = encodeFunctionData({ abi: coprocessorAbi, functionName: 'request', args: [net.modelId, newInput, 100_000] });
  const replacement = { from: user.account.address, to: net.addresses.coprocessor, data, value: toHex(value), gas: toHex(3_000_000n) };
  await publicClient.request({ method: 'anvil_reorg' as never, params: [1, [[replacement, 0]]] as never });
  const [event] = await publicClient.getContractEvents({ address: net.addresses.coprocessor, abi: coprocessorAbi, eventName: 'Requested', args: { requestId: id }, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
  assert.equal(event?.args.input, newInput, 'after the reorg, request id ' + id + ' carries the other input');
  assert.notEqual(event?.transactionHash, receipt.transactionHash);

  await bed.mine();
  await node.waitForMsg('fulfilled', id, 60_000);
  const final = await fulfilments(publicClient, net.addresses.coprocessor, id);
  assert.equal(final.length, 1, 'fulfilled exactly once');
  assert.deepEqual(decodeProvedOutput(final[0]!.args.output!).map(String), expected(newInput), 'the answer is the new input\'s');
  assert.equal(await statusOf(net, id), 'Fulfilled');
  assert.ok(node.has(repairedBy), `repaired by: ${repairedBy}`);
  await node.stop();
  const store = new JobStore(join(dir, `reorg-request-${reorgDepth}.sqlite`));
  assert.equal(store.job(id)?.input, newInput, 'the job took the new input');
  assert.equal(store.txsForRequest(id, 'fulfil').length, 1, 'one fulfilment sent');
  store.close();
});
}

test('the RPC is unreachable for a while: the node backs off, recovers on its own and serves what it missed', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const proxy = await startProxy(anvil.port);
  const node = start(nodeConfig(dir, 'outage', proxy.url, net, compiled.dir));
  try {
    await node.waitForMsg('node started');
    await proxy.down();
    const id = await ask(net); // straight to anvil: the node cannot see it
    await node.waitForMsg('poll failed; backing off');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 0, 'nothing served during the outage');
    await proxy.up();
    await node.waitForMsg('RPC recovered', undefined, 30_000);
    await node.waitForMsg('fulfilled', id);
    assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, 'fulfilled exactly once');
    const failures = node.lines.filter((l) => l.msg === 'poll failed; backing off').map((l) => l.retryInMs as number);
    assert.ok(failures.length >= 2 && failures[1]! > failures[0]!, `backoff grows (${failures.join(', ')} ms)`);
  } finally {
    await node.stop();
    await proxy.close();
  }
});

/** A request whose drawn primary is `primary` (draws follow stake, from the next block's view of the request block's hash; others are served meanwhile). */
async function requestFor(net: Network, primary: Hex): Promise<bigint> {
  for (let i = 0; i < 30; i++) {
    const id = await ask(net, i);
    const drawn = await publicClient.readContract({ address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'primaryOf', args: [id] });
    if (drawn === primary) return id;
  }
  throw new Error(`no request drawn ${primary} in 30 tries`);
}

for (const badProof of [true, false]) {
  const name = badProof
    ? 'a primary submitting a bad proof is rejected and paid nothing; after its window another node fulfils and the primary is slashed'
    : 'a primary that misses its window is slashed; another node serves the request';
  test(name, async (t) => {
    const window = 8n;
    // B (no node process) has most of the stake, so it is drawn most often.
    const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: window, operators: [[opA, 10n ** 18n], [opB, 4n * 10n ** 18n]] });
    const node = start(nodeConfig(dir, `backup-${badProof}`, anvil.rpcUrl, net, compiled.dir));
    await node.waitForMsg('node started');
    // Until the backup has assigned the request, the window is counted in the few blocks mined
    // meanwhile, so a node slowed down by a busy machine still assigns within it.
    const release = await chainTimeByBlocks(publicClient);
    t.after(() => release().catch(() => {}));
    const id = await requestFor(net, opB.account.address);
    const r = await net.client.getRequest(id);
    const read = (who: Hex) => publicClient.readContract({ address: net.addresses.nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [who] });
    const bBefore = await read(opB.account.address);
    const treasuryBefore = await publicClient.readContract({ address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'balanceOf', args: [admin.account.address] });
    if (badProof) {
      // B's "proof": well-formed calldata, wrong points. Sent without simulation so it is mined (and reverts).
      const outputs = [1n];
      const hash = await opB.writeContract({
        address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'fulfill', gas: 1_000_000n,
        args: [id, outputs, [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, 'reverted', 'the bad proof is rejected on chain');
      assert.equal(await statusOf(net, id), 'Pending', 'the request is still open');
      assert.equal((await net.client.getRequest(id)).escrow, r.escrow, 'escrow untouched');
    }
    await node.waitForMsg('assigned to another node; waiting for its window to end', id);
    await release();
    await node.waitForMsg('fulfilled', id, 60_000);
    const [f] = await fulfilments(publicClient, net.addresses.coprocessor, id);
    assert.equal(f!.args.node, opA.account.address, 'served by the backup node');
    assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, 'exactly once');
    // The backup fixed the draw on chain within the window: that is what makes the miss slashable.
    const [assigned] = await publicClient.getContractEvents({ address: net.addresses.coprocessor, abi: coprocessorAbi, eventName: 'Assigned', args: { requestId: id }, fromBlock: r.drawBlock, strict: true });
    assert.equal(assigned?.args.primary, opB.account.address, 'assigned to the drawn primary');
    const assignTx = await publicClient.getTransaction({ hash: assigned!.transactionHash });
    assert.equal(assignTx.from, opA.account.address.toLowerCase(), 'by the backup node\'s assign transaction');
    const assignGas = (await publicClient.getTransactionReceipt({ hash: assigned!.transactionHash })).gasUsed;
    assert.ok(assignGas < 120_000n, `assign costs ${assignGas} gas`);
    t.diagnostic(`assign transaction: ${assignGas} gas`);
    const missSlash = await publicClient.readContract({ address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'missSlash' });
    const bAfter = await read(opB.account.address);
    assert.equal(bAfter.stake, bBefore.stake - missSlash, 'the primary is slashed');
    assert.equal(bAfter.missed, bBefore.missed + 1n, 'its miss is counted');
    assert.equal(bAfter.served, bBefore.served, 'and nothing served');
    const balanceOf = (who: Hex) => publicClient.readContract({ address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'balanceOf', args: [who] });
    assert.equal(await balanceOf(opB.account.address), 0n, 'the primary earned nothing');
    assert.ok((await balanceOf(opA.account.address)) > 0n, 'the backup earned the node fee');
    assert.equal(await balanceOf(admin.account.address), treasuryBefore + missSlash, 'the slash went to the treasury');
    assert.equal(await balanceOf(user.account.address), 0n, 'and none of it to the requester');
    await node.stop();
  });
}

test('a node opts in to serve its model, fetches it by content hash, checks it against the registry, and serves /health and /metrics', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n, { optIn: false }]] });
  const canServe = () => publicClient.readContract({ address: net.addresses.nodes, abi: nodeRegistryAbi, functionName: 'canServe', args: [opA.account.address, net.modelId] });
  assert.equal(await canServe(), false, 'staked, not serving the model');
  const published = join(dir, 'published');
  cpSync(compiled.dir, published, { recursive: true });
  const artefacts = packArtefacts(published);
  const node = start(nodeConfig(dir, 'metrics', anvil.rpcUrl, net, compiled.dir, { models: [{ modelId: net.modelId, artefacts, source: published }] }));
  await node.waitForMsg('model loaded');
  assert.ok(existsSync(join(dir, 'data', 'artefacts', artefacts.slice('sha256:'.length), 'circuit.zkey')), 'installed in the content-addressed cache');
  const { url } = await node.waitForMsg('serving /health and /metrics');
  await node.waitForMsg('serve confirmed');
  assert.equal(await canServe(), true, 'the node opted in on start');
  const id = await ask(net);
  await node.waitForMsg('fulfilled', id);
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  const h = (await health.json()) as { ok: boolean; jobs: Record<string, number> };
  assert.equal(h.ok, true);
  assert.equal(h.jobs.fulfilled, 1);
  const text = await (await fetch(`${url}/metrics`)).text();
  assert.match(text, /^verity_jobs\{state="fulfilled"\} 1$/m);
  assert.match(text, /^verity_prove_seconds_count 1$/m);
  assert.match(text, /^verity_stake_wei 1000000000000000000$/m);
  assert.match(text, /^verity_served_total 1$/m);
  assert.match(text, /^verity_wallet_balance_wei \d+$/m);
  await node.stop();
});

test('a node refuses a model whose artefacts do not match the registry entry', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 0n, operators: [[opA, 10n ** 18n]] });
  const altered = join(dir, 'altered');
  cpSync(compiled.dir, altered, { recursive: true });
  writeFileSync(join(altered, 'model.json'), `${JSON.stringify({ ...JSON.parse(readFileSync(join(altered, 'model.json'), 'utf8')), tampered: true })}`);
  const node = start(nodeConfig(dir, 'altered', anvil.rpcUrl, net, altered));
  const code = await new Promise((r) => node.child.once('exit', r));
  assert.equal(code, 2, 'exits with an error');
  assert.match(node.stderr, /ArtefactMismatchError: model\.json of 0x[0-9a-f]{64} .* does not match/);
  assert.ok(!node.has('node started'), 'never serves');
});
