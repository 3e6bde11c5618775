// Batched fulfilment on anvil: a node holding several proofs of one model sends them in one
// Coprocessor.fulfillBatch; a batch holding a false proof would revert, so the node sends its
// requests one by one and proves the false one again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseEventLogs, toFunctionSelector, type Hex, type PublicClient } from 'viem';
import { coprocessorAbi, provedFulfilment, toSolidityProof, type SnarkjsProof, type Wallet } from '@verity/sdk';
import { Prover, releaseCurves } from '@verity/zkml';
import { LocalProving, startNode, type ProofTask, type ProvingBackend, type VerityNode } from '../src/index.js';
import { captureLogger, fulfilled, fulfilments, network, startTestbed, stopTestbed, type Network } from './harness.js';

/** BN254 base field: (x, q - y) is -A, a point on the curve that makes the proof false. */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

let bed: Awaited<ReturnType<typeof startTestbed>>;
let publicClient: PublicClient;
let admin: Wallet, owner: Wallet, user: Wallet, op: Wallet;
let local: LocalProving;
const nodes: VerityNode[] = [];

before(async () => {
  bed = await startTestbed('verity-batch-');
  publicClient = bed.publicClient;
  [admin, owner, op, user] = bed.wallets as [Wallet, Wallet, Wallet, Wallet];
});

after(async () => {
  for (const n of nodes) await n.stop();
  await stopTestbed(bed, { removeDir: true });
  await releaseCurves();
});

/** A node for `net` on this file's operator, scanning from block 0 (requests sent before it starts are all queued at once). */
async function serve(net: Network, proving: ProvingBackend) {
  const { lines, logger } = captureLogger('op');
  const node = await startNode({
    publicClient, wallet: op, coprocessor: net.addresses.coprocessor, models: [{ modelId: net.modelId, dir: bed.compiled.dir }],
    fromBlock: 0n, pollMs: 100, proving, logger,
  });
  nodes.push(node);
  return { node, lines };
}

async function provers(net: Network) {
  local ??= new LocalProving(new Map([[net.modelId.toLowerCase(), await Prover.load(bed.compiled.dir)]]));
  return new Map([[net.modelId.toLowerCase(), local]]);
}

const receiptOf = (hash: Hex) => publicClient.getTransactionReceipt({ hash });

test('four requests waiting for the node: one fulfillBatch answers all four, each once, at less gas per answer than a lone fulfill', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled: bed.compiled, assignmentWindow: 0n, operators: [[op, 10n ** 18n]] });
  const ids: bigint[] = [];
  for (let i = 0; i < 4; i++) ids.push(await bed.ask(net, i));
  const proving = (await provers(net)).get(net.modelId.toLowerCase())!;
  const { node, lines } = await serve(net, proving);
  const jobs = await fulfilled(node, ids);

  const txs = new Set(jobs.map((j) => j.fulfilTx));
  assert.equal(txs.size, 1, 'one transaction for the four');
  const receipt = await receiptOf([...txs][0]!);
  const answered = parseEventLogs({ abi: coprocessorAbi, eventName: 'Fulfilled', logs: receipt.logs }).map((l) => l.args.requestId);
  assert.deepEqual(answered, ids, 'the batch fulfilled the four requests');
  for (const id of ids) assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, `request ${id} fulfilled once`);
  assert.ok(lines.some((l) => l.msg === 'batch fulfilled'), 'logged as a batch');
  const perAnswer = receipt.gasUsed / 4n;
  assert.equal(jobs[0]!.fulfilGasUsed, perAnswer, 'each job records its share of the batch gas');
  // What the explorer and the story read of it: each answer's share and its own proof.
  for (const [i, id] of ids.entries()) {
    const f = await provedFulfilment(publicClient, [...txs][0]!, id);
    assert.deepEqual([f.gas, f.batchSize], [perAnswer, 4], `request ${id}: a quarter of the batch`);
    assert.deepEqual(f.proof, toSolidityProof(jobs[i]!.proof as SnarkjsProof), `request ${id}: its own proof`);
  }

  // A request alone goes as fulfill.
  const single = await bed.ask(net, 4);
  const [alone] = await fulfilled(node, [single]);
  const tx = await publicClient.getTransaction({ hash: alone!.fulfilTx! });
  assert.equal(tx.input.slice(0, 10), toFunctionSelector('fulfill(uint256,uint256[],uint256[8])'), 'sent as fulfill');
  const singleGas = (await receiptOf(alone!.fulfilTx!)).gasUsed;
  assert.deepEqual((await provedFulfilment(publicClient, alone!.fulfilTx!, single)).gas, singleGas, 'a lone fulfil: its whole gas');
  assert.ok(perAnswer < singleGas, `a batch of 4 costs less per answer (${perAnswer}) than fulfill (${singleGas})`);
  await nodes.pop()!.stop();
});

test('a false proof in the batch: the batch would revert, the node fulfils each request alone and proves the false one again', async () => {
  const net = await network(publicClient, { admin, owner, user, compiled: bed.compiled, assignmentWindow: 0n, operators: [[op, 10n ** 18n]] });
  const ids: bigint[] = [];
  for (let i = 0; i < 4; i++) ids.push(await bed.ask(net, i));
  const victim = ids[1]!;
  const inner = (await provers(net)).get(net.modelId.toLowerCase())!;
  let tampered = 0;
  // The victim's first proof has -A for A: well formed, on the curve, and false.
  const proving: ProvingBackend = {
    concurrency: 1, kind: 'local', stats: async () => undefined, close: async () => {},
    async prove(task: ProofTask) {
      const r = await inner.prove(task);
      if (task.requestId !== victim || tampered++ > 0) return r;
      const p = r.proof as { pi_a: string[] };
      return { ...r, proof: { ...p, pi_a: [p.pi_a[0], (Q - BigInt(p.pi_a[1]!)).toString(), p.pi_a[2]] } };
    },
  };
  const { node, lines } = await serve(net, proving);
  const jobs = await fulfilled(node, ids);

  const fallback = lines.find((l) => l.msg === 'batch would revert; fulfilling one by one');
  assert.ok(fallback, 'the batch was not sent');
  assert.match(String(fallback.err), /InvalidBatchProof/);
  assert.equal(tampered, 2, 'the victim was proved twice');
  assert.equal(node.job(victim)!.attempts, 2);
  for (const id of ids) assert.equal((await fulfilments(publicClient, net.addresses.coprocessor, id)).length, 1, `request ${id} fulfilled once`);
  // No transaction reverted: the false proof was caught by the estimates.
  for (const hash of new Set(jobs.map((j) => j.fulfilTx!))) assert.equal((await receiptOf(hash)).status, 'success');
  assert.ok(!lines.some((l) => l.msg === 'batch fulfilled' && (l.requestIds as string[]).includes(victim.toString()) && (l.requestIds as string[]).length === 4));
  await nodes.pop()!.stop();
});
