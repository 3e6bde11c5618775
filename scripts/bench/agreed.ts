// Agreed-mode benchmark on anvil: gas of a whole request (every transaction of every phase),
// and the time from request to Accepted and to Finalized, with short phase windows. Validators
// run in this process with the built-in provider, so the times are the protocol's, not a model's.
import { hexToString, keccak256, toHex } from 'viem';
import pino from 'pino';
import { createVerityClient, deployVerity, registerAgreedModel, stakeNode } from '@verity/sdk';
import { LexiconProvider, startNode, type VerityNode } from '@verity/node';
import { AGREED_MODELS, agreedRequestGas, anvilKey, connect, MARKET_QUESTION, startAnvil } from '@verity/cli';

export type AgreedBenchRow = {
  setup: string;
  operators: number;
  offline: number;
  requests: number;
  /** per request */
  gas: bigint[];
  transactions: number[];
  acceptMs: number[];
  finalMs: number[];
  windows: typeof WINDOWS;
};

const WINDOWS = { propose: 10, commit: 10, reveal: 10, appeal: 5 };

/** `operators` staked validators, of which the last `offline` never start; `requests` sent one after another. */
export async function agreedBench(p: { operators: number; offline: number; requests: number; log: (s: string) => void }): Promise<AgreedBenchRow> {
  const anvil = await startAnvil();
  const nodes: VerityNode[] = [];
  try {
    const { publicClient, wallet } = await connect(anvil.rpcUrl);
    // anvil's default mnemonic, accounts 10 and up: the validators
    const admin = wallet(anvilKey(0));
    const owner = wallet(anvilKey(1));
    const user = wallet(anvilKey(3));
    const addresses = await deployVerity(publicClient, admin, { committee: { windows: WINDOWS } });
    const operators = Array.from({ length: p.operators }, (_, i) => wallet(anvilKey(10 + i)));
    for (const [i, o] of operators.entries()) {
      await admin.sendTransaction({ to: o.account.address, value: 10n ** 19n });
      await stakeNode(publicClient, o, { nodes: addresses.nodes, stake: 2n * 10n ** 18n, name: `validator-${i}` });
    }
    const { modelId } = await registerAgreedModel(publicClient, owner, {
      registry: addresses.registry, committee: addresses.committee!, name: AGREED_MODELS.judge.name, fee: 10n ** 15n,
      commitment: keccak256(toHex('verity builtin-lexicon v1')), rule: AGREED_MODELS.judge.rule,
    });
    for (const o of operators.slice(0, p.operators - p.offline)) {
      nodes.push(await startNode({
        publicClient, wallet: o, coprocessor: addresses.coprocessor, models: [], pollMs: 100,
        logger: pino({ level: 'silent' }), agreed: { models: [{ modelId, provider: new LexiconProvider() }] },
      }));
    }
    const client = createVerityClient({ publicClient, wallet: user, addresses });
    const row: AgreedBenchRow = { setup: '', operators: p.operators, offline: p.offline, requests: p.requests, gas: [], transactions: [], acceptMs: [], finalMs: [], windows: WINDOWS };
    for (let i = 0; i < p.requests; i++) {
      const value = await client.quote(modelId, 100_000);
      const t = performance.now();
      const { requestId, hash } = await client.request({ modelId, input: toHex(MARKET_QUESTION), callbackGasLimit: 100_000, value });
      await client.waitForAcceptance(requestId, { pollMs: 50 });
      row.acceptMs.push(performance.now() - t);
      const result = await client.waitForResult(requestId, { timeoutMs: 300_000, pollMs: 50 });
      row.finalMs.push(performance.now() - t);
      if (hexToString(result.output) !== 'yes') throw new Error(`request ${requestId} answered ${hexToString(result.output)}`);
      const g = await agreedRequestGas(publicClient, addresses, requestId, hash);
      row.gas.push(g.gas);
      row.transactions.push(g.transactions);
      p.log(`request ${requestId}: ${g.gas} gas in ${g.transactions} transactions, accepted ${(row.acceptMs.at(-1)! / 1000).toFixed(1)} s, final ${(row.finalMs.at(-1)! / 1000).toFixed(1)} s`);
    }
    return row;
  } finally {
    for (const n of nodes) await n.stop();
    await anvil.stop();
  }
}

const median = <T extends number | bigint>(xs: T[]): T => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(xs.length / 2)]!;

export function agreedSection(rows: AgreedBenchRow[], command: string): string[] {
  const f = (v: number | bigint) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const w = rows[0]!.windows;
  return [
    `## Agreed mode: gas and time per request on anvil (\`${command}\`)`,
    '',
    `Real Committee and Coprocessor on anvil, validators as in-process nodes (built-in provider, 100 ms polls), a 5-member committee (fewer when fewer are active), windows propose ${w.propose} s, commit ${w.commit} s, reveal ${w.reveal} s, appeal ${w.appeal} s. Gas is the sum of the receipts of every transaction the request took (request, propose, commits, reveals, advances, finalisation with the callback), intrinsic gas included; medians over the requests, the first request on a fresh network included in "max". The issue's target: under 1.5M for a 5-member committee.`,
    '',
    '| setup | requests | transactions | gas (median) | gas (max) | gas vs 1.5M target | to Accepted s (median) | to Finalized s (median) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.operators} validators staked${r.offline ? `, ${r.offline} offline` : ''} | ${r.requests} | ${median(r.transactions)} | ${f(median(r.gas))} | ${f(r.gas.reduce((a, b) => (a > b ? a : b)))} | ${(Number(median(r.gas)) / 1.5e6).toFixed(2)}x | ${s(median(r.acceptMs))} | ${s(median(r.finalMs))} |`),
    '',
    'To Finalized is to Accepted plus the appeal window and the next poll that calls `advance`. With a validator offline, a round waits for its commit deadline (and, when the offline one leads, the propose deadline, then the next member leads), and the no-show is slashed: the request still completes. The committee draw reads every active operator\'s stake once (about 4k gas per active operator), so gas grows with the network\'s size.',
    '',
  ];
}

/** What `npm run bench` and `npm run bench:agreed` measure. */
export const AGREED_SETUPS = [
  { operators: 5, offline: 0, requests: 5 },
  { operators: 12, offline: 0, requests: 5 },
  { operators: 5, offline: 1, requests: 3 },
] as const;
