// Request batches on anvil (`verity compile --requests K`, Coprocessor.fulfillRequests): one proof
// of the model's request-batch circuit answers several requests from different senders in one
// transaction. On chain, a proof is refused when its slots are swapped, a word is changed, it is
// bound to another prover, a real slot is dropped or an empty slot is claimed, or a request
// predates the batch verifier. A node proves its ready requests together, leaves out a request
// refunded meanwhile, and answers each request exactly once across kill -9 and a reorg.
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeFunctionData, parseEventLogs, type Hex, type PublicClient } from 'viem';
import { coprocessorAbi, decodeProvedOutput, provedFulfilment, decodeRevert, ContractRevertError, requestsBinding, sendContract, setRequestBatchVerifier, toSolidityProof, type SnarkjsProof, type Wallet } from '@verity/sdk';
import { compileRequestBatch, decodeInputBytes, inferQuantized, inputCommitment, releaseCurves, RequestBatchProver, requestBatchDir, type RequestSlot } from '@verity/zkml';
import { startNode, type VerityNode } from '../src/index.js';
import { JobStore } from '../src/store.js';
import { anvilKey } from '../../cli/src/chain.js';
import { anvilRpc, captureLogger, fulfilled, fulfilments, network, nodeConfig, NodeProcess, startTestbed, stopTestbed, type Network } from './harness.js';

const K = 4;
let bed: Awaited<ReturnType<typeof startTestbed>>;
let publicClient: PublicClient;
let admin: Wallet, owner: Wallet, op: Wallet, user: Wallet;
let senders: Wallet[];
/** a copy of the cached demo model with its request-batch circuit for K */
let modelDir: string;
let prover: RequestBatchProver;
const inProcess: VerityNode[] = [];
/** each request's input (by id; ids restart with each network) */
const inputOf = new Map<bigint, Hex>();

before(async () => {
  bed = await startTestbed('verity-requests-');
  publicClient = bed.publicClient;
  [admin, owner, op, user] = bed.wallets as [Wallet, Wallet, Wallet, Wallet];
  senders = bed.wallets.slice(4, 8);
  modelDir = join(bed.dir, 'spam');
  cpSync(bed.compiled.dir, modelDir, { recursive: true });
  await compileRequestBatch(modelDir, { k: K });
  prover = await RequestBatchProver.load(modelDir, K);
});

after(async () => {
  for (const n of inProcess) await n.stop();
  await prover?.close();
  await stopTestbed(bed, { removeDir: true });
  await releaseCurves();
});

/** Fresh contracts, the model registered with its request-batch verifier (unless `batchVerifier: false`), `op` serving it. */
async function batchNetwork(o: { batchVerifier?: boolean } = {}): Promise<Network> {
  const net = await network(publicClient, { admin, owner, user, compiled: bed.compiled, assignmentWindow: 0n, operators: [[op, 10n ** 18n]] });
  if (o.batchVerifier !== false) await registerBatchVerifier(net);
  return net;
}

async function registerBatchVerifier(net: Network) {
  await setRequestBatchVerifier(publicClient, owner, {
    registry: net.addresses.registry, modelId: net.modelId, version: 1, k: K, insecure: true,
    verifierBuild: JSON.parse(readFileSync(join(requestBatchDir(modelDir, K), 'verifier.json'), 'utf8')),
  });
  await bed.mine();
}

/** One request from each of `n` senders (sample inputs i, i+1, ...), then a block. */
async function askFrom(net: Network, n: number, first = 0): Promise<bigint[]> {
  const value = await net.client.quote(net.modelId, 100_000);
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const input = bed.inputs[(first + i) % bed.inputs.length]!;
    const { requestIds } = await sendContract(publicClient, senders[i % senders.length]!, { address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'request', args: [net.modelId, input, 100_000], value });
    ids.push(requestIds[0]!);
    inputOf.set(requestIds[0]!, input);
  }
  await bed.mine();
  return ids;
}

const slotOf = async (id: bigint, net: Network): Promise<RequestSlot> => {
  const r = await net.client.getRequest(id);
  const u = decodeInputBytes(bed.compiled.report.layout, inputOf.get(id)!);
  assert.equal(await inputCommitment(bed.compiled.report.layout, u), r.inputCommitment);
  return { u, commitment: r.inputCommitment };
};

/** The fulfillRequests call's revert (its error name), or 'ok'. */
async function tryFulfil(net: Network, ids: bigint[], words: bigint[], proof: SnarkjsProof): Promise<string> {
  try {
    await publicClient.simulateContract({ account: op.account!, address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'fulfillRequests', args: [ids, words, toSolidityProof(proof)] });
    return 'ok';
  } catch (e) {
    const d = decodeRevert(e);
    return d instanceof ContractRevertError ? d.errorName! : String(e);
  }
}

test('on chain: one proof answers three requests from three senders; swapped slots, a changed word, another prover, a dropped or an invented slot and a request older than the batch verifier are refused', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled: bed.compiled, assignmentWindow: 0n, operators: [[op, 10n ** 18n]] });
  const [early] = await askFrom(net, 1, 5);
  await registerBatchVerifier(net);
  const ids = await askFrom(net, 3);
  const slots = await Promise.all(ids.map((id) => slotOf(id, net)));
  const chainId = await publicClient.getChainId();
  const coprocessor = net.addresses.coprocessor;
  const bind = (requestIds: bigint[], who = op.account!.address) => requestsBinding({ chainId, coprocessor, requestIds, prover: who });
  const honest = await prover.prove(slots, bind(ids));
  const proof = honest.proof as SnarkjsProof;

  const swapped = await prover.prove([slots[1]!, slots[0]!, slots[2]!], bind(ids));
  assert.equal(await tryFulfil(net, ids, swapped.words, swapped.proof as SnarkjsProof), 'InvalidBatchProof', 'slots 0 and 1 swapped (each answer given to the other request)');
  assert.equal(await tryFulfil(net, ids, honest.words.map((w, i) => (i === 0 ? w + 1n : w)), proof), 'InvalidBatchProof', 'an output word changed');
  const elsewhere = await prover.prove(slots, bind(ids, admin.account!.address));
  assert.equal(await tryFulfil(net, ids, elsewhere.words, elsewhere.proof as SnarkjsProof), 'InvalidBatchProof', 'bound to another prover');
  assert.equal(await tryFulfil(net, ids.slice(0, 2), honest.words, proof), 'InvalidBatchProof', 'a real slot dropped (the contract passes 0 for it)');
  const two = await prover.prove(slots.slice(0, 2), bind(ids));
  assert.equal(await tryFulfil(net, ids, two.words, two.proof as SnarkjsProof), 'InvalidBatchProof', 'an empty slot claimed for a third request');
  const withEarly = [early!, ...ids.slice(0, 2)];
  const old = await prover.prove(await Promise.all(withEarly.map((id) => slotOf(id, net))), bind(withEarly));
  assert.equal(await tryFulfil(net, withEarly, old.words, old.proof as SnarkjsProof), 'RequestBeforeBatchVerifier', 'a request made before the batch verifier was set');
  assert.equal(await tryFulfil(net, [...ids].reverse(), honest.words, proof), 'RequestIdsNotAscending');

  assert.equal(await tryFulfil(net, ids, honest.words, proof), 'ok');
  const { receipt } = await sendContract(publicClient, op, { address: coprocessor, abi: coprocessorAbi, functionName: 'fulfillRequests', args: [ids, honest.words, toSolidityProof(proof)] });
  const events = parseEventLogs({ abi: coprocessorAbi, eventName: 'Fulfilled', logs: receipt.logs });
  assert.deepEqual(events.map((e) => e.args.requestId), ids, 'each request answered in slot order');
  for (const [i, e] of events.entries()) {
    assert.deepEqual(decodeProvedOutput(e.args.output), inferQuantized(bed.compiled.model, slots[i]!.u), `request ${ids[i]}'s answer is its own input's`);
  }
  assert.equal(await tryFulfil(net, ids, honest.words, proof), 'RequestNotPending', 'answered once');
});

test('a node holding three ready requests of a model compiled for request batches answers them with one proof in one fulfillRequests, each once', async () => {
  const net = await batchNetwork();
  const ids = await askFrom(net, 3);
  const { lines, logger } = captureLogger('op');
  const node = await startNode({ publicClient, wallet: op, coprocessor: net.addresses.coprocessor, models: [{ modelId: net.modelId, dir: modelDir }], fromBlock: 0n, pollMs: 100, logger });
  inProcess.push(node);
  const jobs = await fulfilled(node, ids);
  const txs = new Set(jobs.map((j) => j.fulfilTx));
  assert.equal(txs.size, 1, 'one transaction for the three');
  const tx = await publicClient.getTransaction({ hash: [...txs][0]! as Hex });
  assert.equal(decodeFunctionData({ abi: coprocessorAbi, data: tx.input }).functionName, 'fulfillRequests');
  for (const id of ids) assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, `request ${id} fulfilled once`);
  assert.ok(lines.some((l) => l.msg === 'request batch sent'), 'logged as a request batch');
  const shown = await provedFulfilment(publicClient, tx.hash, ids[1]!);
  assert.equal(shown.batchSize, 3, 'the explorer and the story see a batch of three');
  assert.equal(shown.gas, (await publicClient.getTransactionReceipt({ hash: tx.hash })).gasUsed / 3n, 'each answer\'s share of the gas');
  assert.equal(shown.proof?.length, 8, 'and the batch\'s one proof');
  assert.ok(!lines.some((l) => l.msg === 'proving'), 'no request was proved alone');
  await node.stop();
});

test('a model version without a request-batch verifier on chain: the node falls back to single proofs (one fulfillBatch)', async () => {
  const net = await batchNetwork({ batchVerifier: false });
  const ids = await askFrom(net, 2);
  const { logger } = captureLogger('op');
  const node = await startNode({ publicClient, wallet: op, coprocessor: net.addresses.coprocessor, models: [{ modelId: net.modelId, dir: modelDir }], fromBlock: 0n, pollMs: 100, logger });
  inProcess.push(node);
  const jobs = await fulfilled(node, ids);
  const tx = await publicClient.getTransaction({ hash: jobs[0]!.fulfilTx! as Hex });
  assert.equal(decodeFunctionData({ abi: coprocessorAbi, data: tx.input }).functionName, 'fulfillBatch');
  await node.stop();
});

test('a request refunded while it waited for its batch is left out; the others are answered in one proof', async () => {
  const net = await batchNetwork();
  const [stale] = await askFrom(net, 1, 2);
  // Past the stale request's deadline (the devnet's request timeout), then two fresh requests.
  const timeout = (await net.client.getRequest(stale!)).deadline - BigInt((await publicClient.getBlock()).timestamp);
  await anvilRpc(publicClient, 'evm_increaseTime', [Number(timeout) + 1]);
  await bed.mine();
  await sendContract(publicClient, user, { address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'refund', args: [stale!] });
  const ids = await askFrom(net, 2);
  const { logger } = captureLogger('op');
  const node = await startNode({ publicClient, wallet: op, coprocessor: net.addresses.coprocessor, models: [{ modelId: net.modelId, dir: modelDir }], fromBlock: 0n, pollMs: 100, logger });
  inProcess.push(node);
  const jobs = await fulfilled(node, ids);
  assert.equal(new Set(jobs.map((j) => j.fulfilTx)).size, 1, 'the two in one transaction');
  assert.equal(node.job(stale!)?.state, 'skipped', 'the refunded request is skipped');
  assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, stale!)).length, 0);
  await node.stop();
});

test('kill -9 while a request batch is proved, then restart; then a reorg of the batch transaction: each request is answered exactly once', async () => {
  const net = await batchNetwork();
  const key = anvilKey(2);
  const config = nodeConfig(bed.dir, 'requests', bed.anvil.rpcUrl, net, modelDir, { confirmations: 3 });
  let node = bed.track(NodeProcess.start(config, key));
  await node.waitForMsg('node started');
  const ids = await askFrom(net, 3);
  await node.waitForMsg('proving a request batch');
  await node.kill9();
  const store = new JobStore(join(bed.dir, 'requests.sqlite'));
  const killedWith = ids.map((id) => store.txsForRequest(id, 'fulfil').length);
  store.close();
  node = bed.track(NodeProcess.start(config, key));
  const mined = await node.waitFor((l) => l.msg === 'transaction mined', 60_000, 'the batch mined');
  for (const id of ids) assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, `request ${id} answered once after the restart (transactions stored at the kill: ${killedWith})`);

  await anvilRpc(publicClient, 'anvil_reorg', [1, []]);
  for (const id of ids) assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 0, 'the reorg removed the batch');
  await node.waitFor((l) => l.msg === 'transaction reorged out; broadcasting it again', 60_000, 'the batch sent again');
  const confirmed = Promise.all(ids.map((id) => node.waitForMsg('fulfilled', id)));
  const miner = setInterval(() => void bed.mine().catch(() => {}), 300);
  try {
    await confirmed;
  } finally {
    clearInterval(miner);
  }
  for (const id of ids) {
    const final = await fulfilments(publicClient, net.addresses.coprocessor, id);
    assert.equal(final.length, 1, `request ${id} exactly once on the final chain`);
    assert.equal(final[0]!.transactionHash, mined.tx, 'the same signed batch, sent again');
  }
  await node.stop();
});
