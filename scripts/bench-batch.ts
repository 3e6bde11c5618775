// npm run bench:batch: gas per proved answer on anvil, fulfill beside fulfillBatch of 1, 4, 8 and
// 16 requests from as many senders (the demo spam model, its generated batch verifier) and
// beside fulfillRequests of 1, 2, 4, 8 and 16 requests in ONE proof of the model's request-batch
// circuit for 16 (`verity compile --requests 16`; the senders are accounts without code, so no
// app callback runs: the figure is the proof check, payments and bookkeeping). Gas from mined
// receipts. Then the latency at 1 request/s offered, one fulfill per request against request
// batches (one node process). Replaces the "## Batched fulfilment" section of BENCHMARKS.md and
// keeps the rest.
import { generatePrivateKey } from 'viem/accounts';
import { cpSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { connect, coprocessorAbi, requestBinding, requestsBinding, sendContract, setRequestBatchVerifier, toSolidityProof, type SnarkjsProof, type Wallet } from '@verity/sdk';
import { compileRequestBatch, decodeInputBytes, inputCommitment, Prover, releaseCurves, RequestBatchProver, requestBatchDir } from '@verity/zkml';
import { network, startTestbed, stopTestbed } from '@verity/cli';
import { loadBench } from './bench/load.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:batch] ${s}`);
const SIZES = [1, 4, 8, 16];
const K = 16;
const REQUEST_SIZES = [1, 2, 4, 8, 16];
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 60);
const bed = await startTestbed('verity-bench-batch-');
try {
  const { publicClient, compiled, inputs } = bed;
  const [admin, owner, op] = bed.wallets as [Wallet, Wallet, Wallet];
  const net = await network(publicClient, { admin, owner, user: bed.wallets[3]!, compiled, assignmentWindow: 0n, operators: [[op, 10n ** 18n]] });
  const prover = await Prover.load(compiled.dir);
  const { coprocessor } = net.addresses;
  const { wallet } = await connect(bed.anvil.rpcUrl);
  const chainId = await publicClient.getChainId();
  const callbackGasLimit = 100_000;

  /** `n` requests, each from a fresh funded account, then a block (the draw reads it); their ids and proofs. */
  async function requests(n: number) {
    const value = await net.client.quote(net.modelId, callbackGasLimit);
    const ids: bigint[] = [], words: bigint[][] = [], proofs: ReturnType<typeof toSolidityProof>[] = [];
    for (let i = 0; i < n; i++) {
      const sender = wallet(generatePrivateKey());
      await publicClient.request({ method: 'anvil_setBalance' as never, params: [sender.account!.address, '0xde0b6b3a7640000'] as never });
      const input = inputs[(ids.length + n) % inputs.length]!;
      const { requestIds } = await sendContract(publicClient, sender, { address: coprocessor, abi: coprocessorAbi, functionName: 'request', args: [net.modelId, input, callbackGasLimit], value });
      const id = requestIds[0]!;
      const binding = requestBinding({ chainId, coprocessor, requestId: id, prover: op.account!.address });
      const p = await prover.prove({ encoded: decodeInputBytes(compiled.report.layout, input) }, binding);
      ids.push(id);
      words.push(p.publicSignals.slice(0, compiled.report.layout.outputWords).map(BigInt));
      proofs.push(toSolidityProof(p.proof as SnarkjsProof));
    }
    await bed.mine();
    return { ids, words, proofs };
  }

  const rows: { what: string; n: number; total: bigint; perAnswer: bigint }[] = [];
  log('fulfill, one request');
  {
    const { ids, words, proofs } = await requests(1);
    const { receipt } = await sendContract(publicClient, op, { address: coprocessor, abi: coprocessorAbi, functionName: 'fulfill', args: [ids[0]!, words[0]!, proofs[0]!] });
    rows.push({ what: '`fulfill`', n: 1, total: receipt.gasUsed, perAnswer: receipt.gasUsed });
  }
  for (const n of SIZES) {
    log(`fulfillBatch, ${n} requests from ${n} senders`);
    const { ids, words, proofs } = await requests(n);
    const { receipt } = await sendContract(publicClient, op, { address: coprocessor, abi: coprocessorAbi, functionName: 'fulfillBatch', args: [ids, words, proofs] });
    rows.push({ what: '`fulfillBatch`', n, total: receipt.gasUsed, perAnswer: receipt.gasUsed / BigInt(n) });
  }
  log(`request-batch circuit for ${K} requests of the model (compile and setup)`);
  // A copy of the cached model: its requests-K directory stays out of the shared cache.
  const modelDir = join(bed.dir, 'spam');
  cpSync(compiled.dir, modelDir, { recursive: true });
  const batchDir = requestBatchDir(modelDir, K);
  const batchReport = await compileRequestBatch(modelDir, { k: K, progress: (e) => log(e.phase) });
  const batchProver = await RequestBatchProver.load(modelDir, K);
  await setRequestBatchVerifier(publicClient, owner, {
    registry: net.addresses.registry, modelId: net.modelId, version: 1, k: K, insecure: batchReport.setup.insecure,
    verifierBuild: JSON.parse(readFileSync(join(batchDir, 'verifier.json'), 'utf8')),
  });
  await bed.mine();
  const proveMs: number[] = [];
  for (const n of REQUEST_SIZES) {
    log(`fulfillRequests, ${n} requests from ${n} senders in one proof`);
    const value = await net.client.quote(net.modelId, callbackGasLimit);
    const ids: bigint[] = [], slots: { u: bigint[]; commitment: bigint }[] = [];
    for (let i = 0; i < n; i++) {
      const sender = wallet(generatePrivateKey());
      await publicClient.request({ method: 'anvil_setBalance' as never, params: [sender.account!.address, '0xde0b6b3a7640000'] as never });
      const input = inputs[(i + n) % inputs.length]!;
      const { requestIds } = await sendContract(publicClient, sender, { address: coprocessor, abi: coprocessorAbi, functionName: 'request', args: [net.modelId, input, callbackGasLimit], value });
      const u = decodeInputBytes(compiled.report.layout, input);
      ids.push(requestIds[0]!);
      slots.push({ u, commitment: await inputCommitment(compiled.report.layout, u) });
    }
    await bed.mine();
    const binding = requestsBinding({ chainId, coprocessor, requestIds: ids, prover: op.account!.address });
    const p = await batchProver.prove(slots, binding);
    proveMs.push(p.timings.witnessMs + p.timings.proveMs);
    const { receipt } = await sendContract(publicClient, op, { address: coprocessor, abi: coprocessorAbi, functionName: 'fulfillRequests', args: [ids, p.words, toSolidityProof(p.proof as SnarkjsProof)] });
    rows.push({ what: '`fulfillRequests`', n, total: receipt.gasUsed, perAnswer: receipt.gasUsed / BigInt(n) });
  }
  await batchProver.close();
  // Latency at 1 request/s offered: one node process, one `fulfill` per request against request batches of up to K.
  const latency: { what: string; r: Awaited<ReturnType<typeof loadBench>> }[] = [];
  for (const [what, o] of [['one `fulfill` per request (`"batch": false`)', { batch: false as const }], [`request batches of up to ${K} (\`fulfillRequests\`)`, { requestBatch: K }]] as const) {
    log(`latency at 60 requests/min for ${LATENCY_SECONDS} s: ${what}`);
    latency.push({ what, r: await loadBench({ nodes: 1, perMin: 60, seconds: LATENCY_SECONDS, log, ...o }) });
  }
  const single = rows[0]!.perAnswer;
  const fmt = (v: bigint) => Number(v).toLocaleString('en-US');
  writeBenchSection('## Batched fulfilment', [
    '## Batched fulfilment: gas per proved answer on anvil (`npm run bench:batch`)',
    '',
    `The demo spam model (${compiled.report.layout.outputWords + 2} public signals), one operator, requests from as many senders without code (no app callback runs), gas from the mined receipts (21,000 intrinsic and calldata included). \`fulfillBatch\` checks the N proofs with the model's generated \`verifyBatch\` (N + 3 pairings) and settles each request as \`fulfill\` does, its primary drawn and stored on the way.`,
    '',
    `\`fulfillRequests\` checks ONE proof of the model's request-batch circuit for ${K} requests (\`verity compile --requests ${K}\`: ${batchReport.constraints.toLocaleString('en-US')} constraints, ${batchReport.layout.publicSignals} public signals: ${batchReport.layout.outputWords} output words packed across the slots, ${batchReport.layout.commitmentSignals} of two slots' input commitments each, one binding of the batch; empty slots get commitment 0) and settles every request as \`fulfill\` does, each fee credited in one sum for the batch, a primary drawn but not stored. A request is stored in 3 slots (requester, status, callback gas and terms id; escrow, time and draw block; input commitment) beside its terms (model, version, owner, verifier, IO spec, fees, timeouts), stored once for all the requests that share them: a batch reads the terms once and each record's 3 slots, and clears the 2 an answered request no longer needs (the receipts' gas is after that refund, at most a fifth of the transaction's gas by EIP-3529). Issue 18's target: 40k per answer at 16. The batch proofs took ${proveMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s (witness and ${batchProver.backend.name} proof, in this process; load average ${loadavg()[0]!.toFixed(1)} at the end, the 2 cores shared).`,
    '',
    '| transaction | requests | gas | gas per answer | against `fulfill` |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.what} | ${r.n} | ${fmt(r.total)} | ${fmt(r.perAnswer)} | ${(Number(r.perAnswer) / Number(single)).toFixed(2)}x |`),
    '',
    `Latency at 1 request/s offered for ${LATENCY_SECONDS} s (the load benchmark's setup: one \`verity node start\` process, one requester, 30 s assignment window; from sending the request to its \`Fulfilled\` event; the node's default \`batch.waitMs\` of 2 s):`,
    '',
    '| fulfilment | sent | fulfilled | lost | p50 ms | p95 ms | max ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...latency.map(({ what, r }) => `| ${what} | ${r.sent} | ${r.fulfilled} | ${r.lost} | ${fmt(BigInt(Math.round(r.p50Ms)))} | ${fmt(BigInt(Math.round(r.p95Ms)))} | ${fmt(BigInt(Math.round(r.maxMs)))} |`),
    '',
    'A request sent last can stay unanswered ("lost" here): anvil mines only on transactions, and a request\'s primary is drawn from the hash of its own block, which nothing follows.',
  ]);
} finally {
  await stopTestbed(bed, { removeDir: true });
  await releaseCurves();
}
process.exit(0);
