import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatEther, hexToString, keccak256, parseEventLogs, toBytes, toHex, type Hex } from 'viem';
import pino from 'pino';
import { committeeAbi, createVerityClient, deploy, deployVerity, registerAgreedModel, spamGuardAbi, spamGuardBytecode, stakeNode, withGasMargin, type SnarkjsProof, type VerityAddresses } from '@verity/sdk';
import { compileCached, encodeInputBytes, quantizeInput, readSamplesFile, INSECURE_DEV_SETUP } from '@verity/zkml';
import { LexiconProvider, startNode, type Job, type VerityNode } from '@verity/node';
import { SPAM_MODEL_PATH, spamFeatures, spamMetrics } from '@verity/models/spam';
import { startAnvil, type Anvil } from './anvil.js';
import { anvilKey, connect } from './chain.js';
import { agreedRequestGas, measureVerifyGas, registerCompiled } from './models.js';

export type DevOptions = {
  once: boolean;
  rpc?: string;
  privateKey?: Hex;
  /** staked nodes to start, each with its own key (default 3: the smallest agreed-mode committee) */
  nodes?: number;
  out?: (line: string) => void;
};

/** anvil accounts that are not admin (0), model owner (1) or user (3): the nodes' keys. */
const NODE_KEYS = [2, 4, 5, 6, 7, 8, 9];
/** Most nodes `verity dev` starts (one anvil key each). */
export const MAX_DEV_NODES = NODE_KEYS.length;

/** What one demo request measured. */
export type DemoResult = {
  subject: string;
  expectedSpam: boolean;
  answeredSpam: boolean;
  logits: number[];
  requestTx: Hex;
  fulfilTx: Hex;
  proveMs: number;
  /** the node that fulfilled the request */
  node: Hex;
  fulfilGas: bigint;
  verifyGas: bigint;
  latencyMs: number;
};

/** The agreed-mode demo request: a subjective question the committee answered. */
export type AgreedDemoResult = {
  requestId: bigint;
  question: string;
  answer: string;
  members: number;
  /** request to Accepted, and to Finalized (callback), in ms */
  acceptMs: number;
  finalMs: number;
  /** gas of every transaction of the request (request, propose, commits, reveals, finalisation) */
  gas: bigint;
  transactions: number;
};

/** The agreed-mode demo: a film's reviews, and the question whether the critics loved it. */
export const AGREED_DEMO = {
  name: 'film-critic',
  labels: ['loved', 'mixed', 'panned'],
  instructions: 'Did the critics love the film? Answer loved, mixed or panned.',
  question: 'Did the critics love "Dune: Part Two"? Reviews: "a stunning, moving masterpiece"; "brilliant and gripping"; "the best blockbuster in years".',
  /** demo phase windows (seconds): propose, commit, reveal, appeal */
  windows: { propose: 30, commit: 30, reveal: 30, appeal: 5 },
};

/** The node's job for a request once it is fulfilled or has failed. */
function jobSettled(node: VerityNode, requestId: bigint): Promise<Job> {
  const done = (job: Job | undefined) => job !== undefined && (job.state === 'fulfilled' || job.state === 'failed');
  const now = node.job(requestId);
  if (done(now)) return Promise.resolve(now!);
  return new Promise((resolve) => {
    const onJob = (job: Job) => { if (job.requestId === requestId && done(job)) { node.off('job', onJob); resolve(job); } };
    node.on('job', onJob);
  });
}

/**
 * The embedded devnet: starts anvil (or uses `rpc`), deploys the contracts, compiles or
 * loads the demo spam classifier, registers it, starts a node, and runs the demo: a consumer
 * contract asks whether two real e-mails are spam, the node proves, the callback fires.
 * With `once` it returns after the demo; otherwise it serves until SIGINT/SIGTERM.
 */
export async function dev(options: DevOptions): Promise<{ results: DemoResult[]; agreed?: AgreedDemoResult; addresses: VerityAddresses }> {
  const print = options.out ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  const step = (label: string, detail = '') => print(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${label.padEnd(26)} ${detail}`);

  let anvil: Anvil | undefined;
  let rpcUrl = options.rpc;
  if (!rpcUrl) {
    anvil = await startAnvil();
    rpcUrl = anvil.rpcUrl;
    step('anvil started', rpcUrl);
  } else {
    step('using chain', rpcUrl);
  }
  const cleanup: (() => Promise<void>)[] = [];
  const shutdown = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await anvil?.stop();
  };
  try {
    const { publicClient, wallet } = await connect(rpcUrl);
    const keys = [0, 1, 2, 3].map((i) => options.privateKey ?? anvilKey(i));
    const [admin, modelOwner, user] = [wallet(keys[0]!), wallet(keys[1]!), wallet(keys[3]!)];
    const nodeCount = options.nodes ?? 3;
    if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > NODE_KEYS.length) throw new Error(`--nodes takes 1 to ${NODE_KEYS.length}`);
    if (options.privateKey && nodeCount > 1) throw new Error('--nodes above 1 needs one key per node: not available with --private-key');
    const operators = NODE_KEYS.slice(0, nodeCount).map((i) => wallet(options.privateKey ?? anvilKey(i)));
    const nodeNumber = (address: string) => operators.findIndex((o) => o.account.address === address) + 1;

    const addresses = await deployVerity(publicClient, admin, { committee: { windows: AGREED_DEMO.windows } });
    step('contracts deployed', `Coprocessor ${addresses.coprocessor}  ModelRegistry ${addresses.registry}  NodeRegistry ${addresses.nodes}`);
    for (const [i, operator] of operators.entries()) {
      // Different stakes, so the draw visibly follows the stake.
      const stake = BigInt(i + 1) * 10n ** 18n;
      await stakeNode(publicClient, operator, { nodes: addresses.nodes, stake, name: `dev-node-${i + 1}`, apiUrl: 'http://127.0.0.1' });
      step(`node ${i + 1} staked`, `${operator.account.address}: ${formatEther(stake)} ETH in the NodeRegistry`);
    }

    const calibration = join(dirname(SPAM_MODEL_PATH), 'calibration.json');
    const { compiled, cached } = await compileCached('spam', readFileSync(SPAM_MODEL_PATH), {
      calibration: readSamplesFile(readFileSync(calibration, 'utf8')),
      progress: (e) => step('compiling demo model', e.phase),
    });
    const { report } = compiled;
    step(cached ? 'demo model loaded (cached)' : 'demo model compiled', `${report.constraints} constraints, ${report.layout.publicSignals} public signals, ${compiled.dir}`);
    step('setup', INSECURE_DEV_SETUP.split(':')[0]!);

    const { modelId, verifier, build } = await registerCompiled(publicClient, modelOwner, {
      registry: addresses.registry, compiled, name: 'spam-assassin-mlp', fee: 1_000_000_000_000_000n,
    });
    const metrics = spamMetrics();
    step('model registered', `${modelId} (held-out accuracy ${metrics.floatAccuracyHeldOut} float, ${metrics.quantizedAccuracyHeldOut} quantised)`);

    // Agreed mode needs a committee of at least 3 staked validators.
    const agreedDemo = nodeCount >= 3;
    let criticId: Hex | undefined;
    if (agreedDemo) {
      ({ modelId: criticId } = await registerAgreedModel(publicClient, modelOwner, {
        registry: addresses.registry, committee: addresses.committee!, name: AGREED_DEMO.name, fee: 1_000_000_000_000_000n,
        commitment: keccak256(toHex('verity builtin-lexicon v1')),
        rule: { criterion: 'Label', labels: AGREED_DEMO.labels, instructions: AGREED_DEMO.instructions },
      }));
      step('agreed model registered', `${criticId} (${AGREED_DEMO.name}: labels ${AGREED_DEMO.labels.join(' / ')}; validators answer with the built-in offline provider)`);
    }

    const running = [];
    // Each node has its own SQLite store, for the life of this devnet.
    const stores = mkdtempSync(join(tmpdir(), 'verity-dev-'));
    cleanup.push(async () => rmSync(stores, { recursive: true, force: true }));
    for (const [i, operator] of operators.entries()) {
      const node = await startNode({
        publicClient, wallet: operator, coprocessor: addresses.coprocessor,
        models: [{ modelId, dir: compiled.dir }], pollMs: 100, store: join(stores, `node-${i + 1}.sqlite`), statusPort: 0,
        agreed: criticId ? { models: [{ modelId: criticId, provider: new LexiconProvider() }] } : undefined,
        logger: pino({ level: process.env.VERITY_LOG_LEVEL ?? 'silent' }).child({ node: i + 1 }),
      });
      cleanup.push(() => node.stop());
      running.push(node);
      step(`node ${i + 1} started`, `operator ${operator.account.address}, store ${join(stores, `node-${i + 1}.sqlite`)}, ${node.statusUrl}/metrics`);
    }

    const guard = await deploy(publicClient, user, { abi: spamGuardAbi, bytecode: spamGuardBytecode, args: [addresses.coprocessor, modelId] });
    const client = createVerityClient({ publicClient, wallet: user, addresses });
    step('consumer deployed', `SpamGuard ${guard.address}`);

    const samples = JSON.parse(readFileSync(join(dirname(SPAM_MODEL_PATH), 'samples.json'), 'utf8')) as { subject: string; body: string; spam: boolean }[];
    const fee = await publicClient.readContract({ address: guard.address, abi: spamGuardAbi, functionName: 'fee' });
    const results: DemoResult[] = [];
    for (const sample of samples) {
      const encoded = quantizeInput(compiled.model, spamFeatures(sample));
      const input = encodeInputBytes(report.layout, encoded);
      const requestedAt = performance.now();
      const call = {
        address: guard.address, abi: spamGuardAbi, functionName: 'submitPost' as const,
        args: [keccak256(toBytes(`${sample.subject}\n${sample.body}`)), input] as const, value: fee, account: user.account,
      };
      const hash = await user.writeContract({ ...call, gas: withGasMargin(await publicClient.estimateContractGas(call)) });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const [submitted] = parseEventLogs({ abi: spamGuardAbi, logs: receipt.logs, eventName: 'PostSubmitted' });
      const requestId = submitted!.args.requestId;
      const { primary } = await client.getRequest(requestId);
      step(`request #${requestId}`, `"${sample.subject.slice(0, 50)}" tx ${hash} fee ${formatEther(fee)} ETH, primary node ${nodeNumber(primary)}`);
      const result = await client.waitForResult(requestId, { timeoutMs: 120_000 });
      const prover = running.find((n) => n.address === result.node);
      if (!prover) throw new Error(`request ${requestId} was fulfilled by ${result.node}, not by a node of this devnet`);
      // The chain can show the fulfilment before the node has read its own receipt.
      const job = await jobSettled(prover, requestId);
      if (job.state !== 'fulfilled') throw new Error(`request ${requestId}: the node that fulfilled it reports ${job.state} (${job.error})`);
      const latencyMs = performance.now() - requestedAt;
      const [classified] = await publicClient.getContractEvents({ address: guard.address, abi: spamGuardAbi, eventName: 'PostClassified', fromBlock: result.blockNumber, toBlock: result.blockNumber });
      if (!classified) throw new Error(`callback for request ${requestId} did not reach the consumer`);
      const verifyGas = await measureVerifyGas(publicClient, user, { verifier, build, proof: job.proof as SnarkjsProof, publicSignals: job.publicSignals! });
      const logits = result.outputs.map((v) => Number(v) / 2 ** report.quantization.outputScale);
      const r: DemoResult = {
        subject: sample.subject, expectedSpam: sample.spam, answeredSpam: classified.args.spam!, logits,
        requestTx: hash, fulfilTx: result.fulfilTx, proveMs: job.proveMs!, node: result.node as Hex, fulfilGas: job.fulfilGasUsed!, verifyGas, latencyMs,
      };
      results.push(r);
      step(`proved #${requestId}`, `by node ${nodeNumber(result.node)} in ${job.proveMs!.toFixed(0)} ms; fulfil tx ${result.fulfilTx} (${job.fulfilGasUsed} gas, of which verification ${verifyGas})`);
      step(`callback #${requestId}`, `SpamGuard says ${r.answeredSpam ? 'SPAM' : 'not spam'} (logits ham ${logits[0]!.toFixed(3)}, spam ${logits[1]!.toFixed(3)}; label: ${sample.spam ? 'spam' : 'ham'}); request-to-callback ${latencyMs.toFixed(0)} ms`);
    }
    let agreed: AgreedDemoResult | undefined;
    if (criticId) {
      agreed = await agreedRequest(criticId);
    } else {
      step('agreed mode skipped', 'a committee needs at least 3 staked nodes (--nodes 3 or more)');
    }
    step('demo complete', `${results.length} proved answers${agreed ? ' and 1 agreed answer' : ''} delivered on chain`);
    if (options.once) return { results, agreed, addresses };

    print('');
    print(`Verity devnet is up. RPC: ${rpcUrl}`);
    print(`  Coprocessor ${addresses.coprocessor}  ModelRegistry ${addresses.registry}  model ${modelId}`);
    print('  The node keeps serving requests. Ctrl-C stops the node and anvil.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    print('stopping…');
    return { results, agreed, addresses };

    async function agreedRequest(critic: Hex): Promise<AgreedDemoResult> {
      const fee = await client.quote(critic, 100_000);
      const t = performance.now();
      const { requestId, hash, receipt } = await client.request({ modelId: critic, input: toHex(AGREED_DEMO.question), callbackGasLimit: 100_000, value: fee });
      const [started] = parseEventLogs({ abi: committeeAbi, logs: receipt.logs, eventName: 'RoundStarted' });
      const members = started!.args.members!;
      step(`agreed request #${requestId}`, `"${AGREED_DEMO.question.slice(0, 60)}…" tx ${hash}`);
      step(`committee #${requestId}`, `${members.length} members drawn by stake: nodes ${members.map(nodeNumber).join(', ')}; node ${nodeNumber(members[0]!)} leads`);
      const accepted = await client.waitForAcceptance(requestId, { timeoutMs: 300_000 });
      const acceptMs = performance.now() - t;
      const decided = await publicClient.getContractEvents({ address: addresses.committee!, abi: committeeAbi, eventName: 'RoundDecided', args: { requestId }, fromBlock: receipt.blockNumber });
      const last = decided.at(-1)!.args;
      step(`accepted #${requestId}`, `"${hexToString(accepted.answer!)}" by ${last.agrees} of ${members.length} (commit-reveal); appealable for ${AGREED_DEMO.windows.appeal} s`);
      const result = await client.waitForResult(requestId, { timeoutMs: 120_000 });
      const finalMs = performance.now() - t;
      const { gas, transactions } = await agreedRequestGas(publicClient, addresses, requestId, hash);
      step(`finalised #${requestId}`, `"${hexToString(result.output)}" delivered by callback; fee split among the majority; ${transactions} transactions, ${gas} gas in total; request-to-accept ${(acceptMs / 1000).toFixed(1)} s, to final ${(finalMs / 1000).toFixed(1)} s`);
      return { requestId, question: AGREED_DEMO.question, answer: hexToString(result.output), members: members.length, acceptMs, finalMs, gas, transactions };
    }
  } finally {
    await shutdown();
  }
}
