// The demo's story: six example apps (contracts/src/examples) ask Verity questions on the
// devnet, four in proved mode and two in agreed mode, and the answers change what the apps do.
import { formatEther, hexToString, keccak256, parseEther, parseEventLogs, toHex, type Address, type Hex, type PublicClient } from 'viem';
import {
  describeAnswer, type AnswerFormat,
  ContractRevertError, coprocessorAbi, createVerityClient, creditLineAbi, creditLineBytecode, deploy, evolvingNFTAbi, evolvingNFTBytecode, fraudScreenAbi, fraudScreenBytecode,
  moderationDAOAbi, moderationDAOBytecode, provedFulfilment, sendContract, signalVaultAbi, signalVaultBytecode, subjectiveMarketAbi, subjectiveMarketBytecode,
  type VerityAddresses, type Wallet,
} from '@verity/sdk';
import { encodeInputBytes, quantizeInput, type CompiledModel } from '@verity/zkml';
import { spamSamples, spamVocabulary } from '@verity/models/spam';
import { creditModel } from '@verity/models/credit';
import { fraudModel } from '@verity/models/fraud';
import { signalModel } from '@verity/models/signal';
import { agreedRequestGas } from './models.js';

/** One question an app asked, as the summary table shows it. */
export type StoryRow = {
  requestId: bigint;
  app: string;
  model: string;
  mode: 'proved' | 'agreed';
  question: string;
  answer: string;
  /** proved: the fulfilment transaction (verification and callback included); agreed: every transaction of the request */
  gas: bigint;
  latencyMs: number;
  node: Address;
  /** the request's input bytes, as the Requested event carries them */
  input: Hex;
  /** proved: the signed fixed-point outputs */
  outputs: bigint[];
};

/** What `sendContract` returns for an app's transaction. */
type Sent = Awaited<ReturnType<typeof sendContract>>;

export type ProvedModel = { modelId: Hex; name: string; compiled: CompiledModel };

export type StoryContext = {
  publicClient: PublicClient;
  addresses: VerityAddresses;
  admin: Wallet;
  modelOwner: Wallet;
  user: Wallet;
  models: { spam: ProvedModel; credit: ProvedModel; signal: ProvedModel; fraud: ProvedModel };
  /** agreed-mode models: a yes/no judge and an event reader (triumph / ordinary / setback) */
  judge: Hex;
  reader: Hex;
  step: (label: string, detail?: string) => void;
  /** names an app's address (the explorer shows it) */
  label?: (address: Address, name: string) => void;
  nodeNumber: (address: string) => number;
};

/** What the apps did with their answers: the e2e test checks these. */
export type StoryOutcome = {
  rows: StoryRow[];
  apps: Record<string, Address>;
  moderation: { visible: boolean[]; appeal: 'restored' | 'upheld' };
  credit: { limits: bigint[] };
  fraud: { token: string; flagged: boolean; verdict: string }[];
  vault: { riskBps: bigint; signal: bigint };
  market: { outcome: string; payout: bigint; staked: bigint };
  nft: { level: number; scars: number; mood: string };
};

export const MARKET_QUESTION = 'Did the critics love "Dune: Part Two"? Reviews: "a stunning, moving masterpiece"; "brilliant and gripping"; "the best blockbuster in years".';
export const NFT_EVENT = 'Our guild won the tournament: a brilliant, stunning triumph, the best day of the season.';
const VERDICTS = ['Unscreened', 'Clean', 'WashTrading', 'RugPull'];
const OUTCOMES = ['Open', 'Resolving', 'Yes', 'No', 'Void'];

export async function runStory(ctx: StoryContext): Promise<StoryOutcome> {
  const { publicClient, addresses, admin, modelOwner, user, models, step } = ctx;
  const client = createVerityClient({ publicClient, addresses });
  const rows: StoryRow[] = [];
  const send = sendContract.bind(null, publicClient);
  const deployed = async (name: string, abi: readonly unknown[], bytecode: Hex, args: readonly unknown[], by = user) => {
    const { address } = await deploy(publicClient, by, { abi: abi as never, bytecode, args: args as never });
    ctx.label?.(address, name);
    return address;
  };

  /** Waits for the answer to the request an app's transaction (`sent`) made, and records its row. */
  async function answered(p: { sent: Sent; sentAt: number; app: string; model: string; question: string; describe: (output: Hex, outputs: bigint[]) => string }): Promise<StoryRow> {
    // The request's own receipt holds its Requested event: no log query needed.
    const [requested] = parseEventLogs({ abi: coprocessorAbi, logs: p.sent.receipt.logs, eventName: 'Requested' });
    const { requestId, input } = requested!.args;
    const result = await client.waitForResult(requestId, { timeoutMs: 300_000, pollMs: 100 });
    const latencyMs = performance.now() - p.sentAt;
    const gas = result.mode === 'proved'
      ? (await provedFulfilment(publicClient, result.fulfilTx, requestId)).gas
      : (await agreedRequestGas(publicClient, addresses, requestId, p.sent.hash)).gas;
    const row: StoryRow = {
      requestId, app: p.app, model: p.model, mode: result.mode, question: p.question, answer: p.describe(result.output, result.outputs),
      gas, latencyMs, node: result.node, input, outputs: result.outputs,
    };
    rows.push(row);
    const by = result.mode === 'proved' ? `proved by node ${ctx.nodeNumber(result.node)}` : 'agreed by the committee';
    step(`answer #${requestId}`, `${p.app}: ${row.answer} (${by}; ${gas} gas; ${(latencyMs / 1000).toFixed(1)} s)`);
    return row;
  }
  const fixed = (v: bigint, m: ProvedModel) => Number(v) / 2 ** m.compiled.report.quantization.outputScale;
  // What the explorer shows too: the example model's labels or named value (models/*/index.ts).
  const readAnswer = (o: bigint[], m: ProvedModel, format: AnswerFormat) => describeAnswer(o.map((v) => fixed(v, m)), format);
  const inputFor = (m: ProvedModel, x: number[]) => encodeInputBytes(m.compiled.report.layout, quantizeInput(m.compiled.model, x));

  // The market opens first: betting closes a few seconds from now, while the proved apps run.
  const chainNow = async () => (await publicClient.getBlock()).timestamp;
  const closesAt = (await chainNow()) + 8n;
  const market = await deployed('SubjectiveMarket', subjectiveMarketAbi, subjectiveMarketBytecode, [addresses.coprocessor, ctx.judge, MARKET_QUESTION, closesAt], admin);
  await send(user, { address: market, abi: subjectiveMarketAbi, functionName: 'bet', args: [true], value: parseEther('3') });
  await send(modelOwner, { address: market, abi: subjectiveMarketAbi, functionName: 'bet', args: [false], value: parseEther('1') });
  step('SubjectiveMarket opened', `${market}: "did the critics love the film?" 3 ETH on yes, 1 ETH on no; betting closes in 8 s`);

  // 1. ModerationDAO: the proved spam classifier moderates two posts; the spammer appeals.
  const { spam } = models;
  const members = [admin, modelOwner, user].map((w) => w.account.address);
  const dao = await deployed('ModerationDAO', moderationDAOAbi, moderationDAOBytecode, [
    addresses.coprocessor, spam.modelId, spam.compiled.report.quantization.inputScale, spamVocabulary().join(' '), admin.account.address, members, 0n, parseEther('0.01'),
  ], admin);
  step('ModerationDAO deployed', `${dao}: derives the model input from each post's text on chain; hides a post when spam logit - ham logit > 0 (the DAO's threshold); 3 members judge appeals`);
  const posts = spamSamples();
  const daoFee = await publicClient.readContract({ address: dao, abi: moderationDAOAbi, functionName: 'fee' });
  const daoAsks = [];
  for (const post of posts) {
    const sentAt = performance.now();
    const sent = await send(user, { address: dao, abi: moderationDAOAbi, functionName: 'submitPost', args: [`${post.subject}\n${post.body}`], value: daoFee });
    step(`request #${sent.requestIds[0]}`, `ModerationDAO: is "${post.subject.trim().slice(0, 48)}" spam? (a real e-mail, ${post.spam ? 'spam' : 'ham'} in the corpus)`);
    daoAsks.push(answered({
      sent, sentAt, app: 'ModerationDAO', model: spam.name, question: `is "${post.subject.trim().slice(0, 30)}" spam?`,
      describe: (_, o) => `${o[1]! - o[0]! > 0n ? 'hidden' : 'visible'} (spam margin ${(fixed(o[1]!, spam) - fixed(o[0]!, spam)).toFixed(2)})`,
    }));
  }
  await Promise.all(daoAsks);
  const visible = [];
  for (const id of [0n, 1n]) visible.push(await publicClient.readContract({ address: dao, abi: moderationDAOAbi, functionName: 'isVisible', args: [id] }));
  const hiddenPost = BigInt(visible.indexOf(false));
  let appeal: 'restored' | 'upheld' = 'upheld';
  if (hiddenPost >= 0n) {
    await send(user, { address: dao, abi: moderationDAOAbi, functionName: 'appeal', args: [hiddenPost], value: parseEther('0.01') });
    await send(admin, { address: dao, abi: moderationDAOAbi, functionName: 'voteAppeal', args: [hiddenPost, false] });
    const { receipt } = await send(modelOwner, { address: dao, abi: moderationDAOAbi, functionName: 'voteAppeal', args: [hiddenPost, false] });
    const [decided] = parseEventLogs({ abi: moderationDAOAbi, logs: receipt.logs, eventName: 'AppealDecided' });
    appeal = decided?.args.restored ? 'restored' : 'upheld';
    step('appeal decided', `post ${hiddenPost}: the author appealed with a 0.01 ETH bond; members voted 2 of 3 to keep it hidden (${appeal})`);
  }

  // 2. CreditLine: the protocol's own record of the borrower is the model input.
  const { credit } = models;
  const line = await deployed('CreditLine', creditLineAbi, creditLineBytecode, [
    addresses.coprocessor, credit.modelId, credit.compiled.report.quantization.inputScale, parseEther('5'), (6n << BigInt(credit.compiled.report.quantization.outputScale)) / 10n, admin.account.address,
  ], admin);
  await send(admin, { address: line, abi: creditLineAbi, functionName: 'fund', value: parseEther('20') });
  // The admin stands in for an identity provider: only attested borrowers get the score's unsecured line.
  await send(admin, { address: line, abi: creditLineAbi, functionName: 'setAttested', args: [user.account.address, true] });
  step('CreditLine deployed', `${line}: 20 ETH pool; attested borrowers get an unsecured line of 5 ETH x (score - 0.6) / 0.4, others borrow against collateral; the borrower is attested`);
  const creditFee = await publicClient.readContract({ address: line, abi: creditLineAbi, functionName: 'fee' });
  const limits: bigint[] = [];
  const score = async (label: string) => {
    const sentAt = performance.now();
    const sent = await send(user, { address: line, abi: creditLineAbi, functionName: 'requestScore', value: creditFee });
    step(`request #${sent.requestIds[0]}`, `CreditLine: score ${label} (input: the borrower's record as the contract keeps it)`);
    await answered({ sent, sentAt, app: 'CreditLine', model: credit.name, question: `score ${label}`, describe: (_, o) => readAnswer(o, credit, creditModel.answer) });
    const limit = (await publicClient.readContract({ address: line, abi: creditLineAbi, functionName: 'borrowers', args: [user.account.address] }))[4];
    limits.push(limit);
    step('credit limit', `${formatEther(limit)} ETH`);
    return limit;
  };
  const first = await score('a new borrower');
  for (let i = 0; i < 3; i++) {
    await send(user, { address: line, abi: creditLineAbi, functionName: 'borrow', args: [first / 2n] });
    const owed = await publicClient.readContract({ address: line, abi: creditLineAbi, functionName: 'owed', args: [user.account.address] });
    await send(user, { address: line, abi: creditLineAbi, functionName: 'repay', value: owed });
  }
  step('loans repaid', `3 loans of ${formatEther(first / 2n)} ETH borrowed and repaid with 1% interest`);
  await score('after 3 repayments');

  // 3. FraudScreen: three tokens' trade features.
  const { fraud } = models;
  // The admin key stands in for the feature oracle that computes and signs each token's trade features.
  const screen = await deployed('FraudScreen', fraudScreenAbi, fraudScreenBytecode, [addresses.coprocessor, fraud.modelId, admin.account.address]);
  step('FraudScreen deployed', `${screen}: a shared registry of proved verdicts on features its oracle signs; other contracts read isFlagged(token)`);
  const chainId = await publicClient.getChainId();
  const screenFee = await publicClient.readContract({ address: screen, abi: fraudScreenAbi, functionName: 'fee' });
  const tokens = fraudModel.samples().map((s) => ({ ...s, address: `0x${keccak256(toHex(s.token)).slice(-40)}` as Address }));
  const screens = [];
  for (const t of tokens) {
    const sentAt = performance.now();
    const features = inputFor(fraud, t.features);
    const asOf = await chainNow();
    const signature = await admin.signTypedData({
      domain: { name: 'FraudScreen', version: '1', chainId, verifyingContract: screen },
      types: { Snapshot: [{ name: 'token', type: 'address' }, { name: 'features', type: 'bytes' }, { name: 'asOf', type: 'uint64' }] },
      primaryType: 'Snapshot',
      message: { token: t.address, features, asOf },
    });
    const sent = await send(user, { address: screen, abi: fraudScreenAbi, functionName: 'screen', args: [t.address, features, asOf, signature], value: screenFee });
    step(`request #${sent.requestIds[0]}`, `FraudScreen: screen ${t.token}`);
    screens.push(answered({ sent, sentAt, app: 'FraudScreen', model: fraud.name, question: `screen ${t.token.split(',')[0]}`, describe: (_, o) => readAnswer(o, fraud, fraudModel.answer) }));
  }
  await Promise.all(screens);
  const fraudOut = [];
  for (const t of tokens) {
    const s = await publicClient.readContract({ address: screen, abi: fraudScreenAbi, functionName: 'screeningOf', args: [t.address] });
    fraudOut.push({ token: t.token, verdict: VERDICTS[s.verdict]!, flagged: await publicClient.readContract({ address: screen, abi: fraudScreenAbi, functionName: 'isFlagged', args: [t.address] }) });
  }

  // 4. SignalVault: prices recorded on chain are the input.
  const { signal } = models;
  const vault = await deployed('SignalVault', signalVaultAbi, signalVaultBytecode, [addresses.coprocessor, signal.modelId, signal.compiled.report.quantization.inputScale, admin.account.address], admin);
  await send(user, { address: vault, abi: signalVaultAbi, functionName: 'deposit', value: parseEther('2') });
  const rally = signalModel.samples()[0]!;
  for (const p of rally.prices) await send(admin, { address: vault, abi: signalVaultAbi, functionName: 'recordPrice', args: [BigInt(p)] });
  step('SignalVault deployed', `${vault}: 2 ETH deposited, the oracle recorded 9 prices (${rally.market}), risk allocation 50%`);
  {
    const sentAt = performance.now();
    const sent = await send(user, { address: vault, abi: signalVaultAbi, functionName: 'rebalance', value: await publicClient.readContract({ address: vault, abi: signalVaultAbi, functionName: 'fee' }) });
    step(`request #${sent.requestIds[0]}`, 'SignalVault: rebalance on the last 8 returns');
    await answered({ sent, sentAt, app: 'SignalVault', model: signal.name, question: 'rebalance on 8 returns', describe: (_, o) => readAnswer(o, signal, signalModel.answer) });
  }
  const riskBps = await publicClient.readContract({ address: vault, abi: signalVaultAbi, functionName: 'riskBps' });
  const lastSignal = await publicClient.readContract({ address: vault, abi: signalVaultAbi, functionName: 'lastSignal' });
  step('vault rebalanced', `risk allocation 50% -> ${Number(riskBps) / 100}%`);

  // 5 and 6, in agreed mode and at the same time: the market resolves, the NFT evolves.
  const nft = await deployed('EvolvingNFT', evolvingNFTAbi, evolvingNFTBytecode, [addresses.coprocessor, ctx.reader]);
  await send(user, { address: nft, abi: evolvingNFTAbi, functionName: 'mint' });
  step('EvolvingNFT deployed', `${nft}: Wanderer #1 minted (level 1, mood calm)`);
  const agreedAsks = [];
  {
    const fee = await publicClient.readContract({ address: market, abi: subjectiveMarketAbi, functionName: 'resolutionFee' });
    let sent: Sent | undefined;
    let sentAt = 0;
    while (!sent) {
      try {
        sentAt = performance.now();
        sent = await send(admin, { address: market, abi: subjectiveMarketAbi, functionName: 'resolve', value: fee });
      } catch (e) {
        if (!(e instanceof ContractRevertError && e.errorName === 'NotClosed')) throw e;
        await new Promise((r) => setTimeout(r, 500));
        // Calls run against the latest block: on an idle automining chain, mine one once the clock has passed.
        if (Date.now() / 1000 > Number(closesAt)) await publicClient.waitForTransactionReceipt({ hash: await admin.sendTransaction({ to: admin.account.address, value: 0n }) });
      }
    }
    step(`request #${sent.requestIds[0]}`, 'SubjectiveMarket: betting closed; the question goes to a committee');
    agreedAsks.push(answered({ sent, sentAt, app: 'SubjectiveMarket', model: 'yes-no-judge', question: 'did the critics love the film?', describe: (o) => `"${hexToString(o)}"` }));
  }
  {
    const sentAt = performance.now();
    const fee = await publicClient.readContract({ address: nft, abi: evolvingNFTAbi, functionName: 'fee' });
    const sent = await send(user, { address: nft, abi: evolvingNFTAbi, functionName: 'chronicle', args: [1n, NFT_EVENT], value: fee });
    step(`request #${sent.requestIds[0]}`, `EvolvingNFT: "${NFT_EVENT.slice(0, 50)}…"`);
    agreedAsks.push(answered({ sent, sentAt, app: 'EvolvingNFT', model: 'event-reader', question: 'what did this event mean?', describe: (o) => `"${hexToString(o)}"` }));
  }
  await Promise.all(agreedAsks);
  const outcome = OUTCOMES[await publicClient.readContract({ address: market, abi: subjectiveMarketAbi, functionName: 'outcome' })]!;
  const payout = await publicClient.readContract({ address: market, abi: subjectiveMarketAbi, functionName: 'payout', args: [user.account.address] });
  if (payout > 0n) await send(user, { address: market, abi: subjectiveMarketAbi, functionName: 'claim' });
  step('market settled', `outcome ${outcome}: the yes bettor claimed ${formatEther(payout)} ETH for a 3 ETH stake`);
  const traits = await publicClient.readContract({ address: nft, abi: evolvingNFTAbi, functionName: 'traitsOf', args: [1n] });
  step('NFT evolved', `Wanderer #1: level ${traits.level}, scars ${traits.scars}, mood ${traits.mood}`);

  return {
    rows: rows.sort((a, b) => (a.requestId < b.requestId ? -1 : 1)),
    apps: { SubjectiveMarket: market, ModerationDAO: dao, CreditLine: line, FraudScreen: screen, SignalVault: vault, EvolvingNFT: nft },
    moderation: { visible, appeal },
    credit: { limits },
    fraud: fraudOut,
    vault: { riskBps, signal: lastSignal },
    market: { outcome, payout, staked: parseEther('3') },
    nft: { level: traits.level, scars: traits.scars, mood: traits.mood },
  };
}

/** The summary table: one line per request. */
export function summaryTable(rows: StoryRow[]): string[] {
  const header = ['#', 'app', 'model', 'mode', 'question', 'answer', 'gas', 'latency'];
  const cells = rows.map((r) => [`${r.requestId}`, r.app, r.model, r.mode, r.question, r.answer, r.gas.toString(), `${(r.latencyMs / 1000).toFixed(1)} s`]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 6 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
}
