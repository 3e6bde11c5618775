// npm run bench:batch: gas per proved answer on anvil, fulfill beside fulfillBatch of 1, 4, 8 and
// 16 requests from as many senders (the demo spam model, its generated batch verifier; the
// senders are accounts without code, so no app callback runs: the figure is the proof check,
// payments and bookkeeping). Gas from mined receipts. Replaces the "## Batched fulfilment"
// section of BENCHMARKS.md and keeps the rest.
import { generatePrivateKey } from 'viem/accounts';
import { connect, coprocessorAbi, requestBinding, sendContract, toSolidityProof, type SnarkjsProof, type Wallet } from '@verity/sdk';
import { decodeInputBytes, Prover, releaseCurves } from '@verity/zkml';
import { network, startTestbed, stopTestbed } from '@verity/cli';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:batch] ${s}`);
const SIZES = [1, 4, 8, 16];
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
  const single = rows[0]!.perAnswer;
  const fmt = (v: bigint) => Number(v).toLocaleString('en-US');
  writeBenchSection('## Batched fulfilment', [
    '## Batched fulfilment: gas per proved answer on anvil (`npm run bench:batch`)',
    '',
    `The demo spam model (${compiled.report.layout.outputWords + 2} public signals), one operator, requests from as many senders without code (no app callback runs), gas from the mined receipts (21,000 intrinsic and calldata included). \`fulfillBatch\` checks the N proofs with the model's generated \`verifyBatch\` (N + 3 pairings) and settles each request as \`fulfill\` does, its primary drawn and stored on the way.`,
    '',
    '| transaction | requests | gas | gas per answer | against `fulfill` |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.what} | ${r.n} | ${fmt(r.total)} | ${fmt(r.perAnswer)} | ${(Number(r.perAnswer) / Number(single)).toFixed(2)}x |`),
  ]);
} finally {
  await stopTestbed(bed, { removeDir: true });
  await releaseCurves();
}
process.exit(0);
