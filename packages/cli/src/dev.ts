import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEther, keccak256, toHex, type Hex } from 'viem';
import pino from 'pino';
import { deployVerity, nodeRegistryAbi, registerAgreedModel, stakeNode, type AgreedRule, type DeployOptions, type VerityAddresses } from '@verity/sdk';
import { compileCached, INSECURE_DEV_SETUP } from '@verity/zkml';
import { LexiconProvider, startNode, type VerityNode } from '@verity/node';
import { startExplorer, type ExplorerModelInfo } from '@verity/explorer';
import { keepMining, startAnvil, type Anvil, type Heartbeat } from './anvil.js';
import { anvilKey, connect } from './chain.js';
import type { Deployment } from './commands.js';
import { checkDevDeploymentPath, writeDevDeployment } from './devDeployment.js';
import { exampleCompileOptions, exampleModelInfo, PROVED_MODELS } from './exampleModels.js';
import { registerCompiled } from './models.js';
import { OptionValueError } from './options.js';
import { runStory, summaryTable, type ProvedModel, type StoryOutcome } from './story.js';

export type DevOptions = {
  once: boolean;
  rpc?: string;
  /** staked nodes to start, each with its own key (default 3: the smallest agreed-mode committee) */
  nodes?: number;
  /** the explorer's port (default: any free port) */
  explorerPort?: number;
  /**
   * write the devnet's deployment file here (the format `verity deploy` writes, plus the models'
   * ids) once the story is over, and remove it when the devnet stops; an existing file is
   * replaced only if it is a devnet's deployment file (`DeploymentFileInUseError` otherwise)
   */
  deployment?: string;
  out?: (line: string) => void;
  /** called after the story, before `once` returns or the devnet waits for Ctrl-C */
  onReady?: (devnet: { rpcUrl: string; explorerUrl: string; addresses: VerityAddresses; story: StoryOutcome; models: Record<string, ProvedModel>; deployment?: string }) => Promise<void>;
};

/**
 * How often the devnet mines an empty block, so draws from a request's block hash happen while
 * no transaction comes: every 0.5 s while requests are in flight, every 5 s once the chain has
 * been quiet for 2 minutes (longer than the committee's 90 s of propose, commit and reveal
 * windows). With the nodes' slower polling it made an idle devnet's CPU use about half (BENCHMARKS.md).
 */
export const DEV_HEARTBEAT: Heartbeat = { busyMs: 500, idleMs: 5_000, idleAfterMs: 120_000 };

/**
 * How often each devnet node polls the chain: half the busy heartbeat, so a new block is seen
 * within a quarter second on average (at 100 ms, three idle nodes' polling took most of an idle devnet's CPU).
 */
const DEV_NODE_POLL_MS = 250;

/** anvil accounts that are not admin (0), model owner (1) or user (3): the nodes' keys. */
const NODE_KEYS = [2, 4, 5, 6, 7, 8, 9];
/** Most nodes `verity dev` starts (one anvil key each). */
export const MAX_DEV_NODES = NODE_KEYS.length;

/** The demo's agreed-mode models: validators answer them with the built-in offline provider. */
export const AGREED_MODELS = {
  judge: {
    name: 'yes-no-judge',
    rule: { criterion: 'Label', labels: ['yes', 'no'], instructions: 'Answer the question with yes or no.' } satisfies AgreedRule,
  },
  reader: {
    name: 'event-reader',
    rule: { criterion: 'Label', labels: ['triumph', 'ordinary', 'setback'], instructions: 'Was this event a triumph, an ordinary day or a setback?' } satisfies AgreedRule,
  },
  /** demo phase windows (seconds): propose, commit, reveal, appeal */
  windows: { propose: 30, commit: 30, reveal: 30, appeal: 5 },
};

/**
 * The devnet's deployment: admin changes wait an hour (the shortest the contracts allow),
 * stake unbonds at once and model updates take a minute, so a demo can show each of them.
 */
export const DEVNET_PARAMETERS = {
  adminDelay: 3_600n, unbondingPeriod: 0n, upgradeDelay: 60n, committee: { windows: AGREED_MODELS.windows },
} satisfies DeployOptions;

/** What a devnet run leaves: the story's outcome, the contracts, the explorer's URL and the proved models. */
export type Devnet = { story: StoryOutcome; addresses: VerityAddresses; explorerUrl: string; models: Record<string, ProvedModel> };

/**
 * The embedded devnet: starts anvil (or uses `rpc`), deploys the contracts, compiles or loads
 * the example apps' models, registers them, starts staked nodes and the explorer, and runs the
 * story: six example apps ask Verity questions in proved and agreed mode. Prints a summary
 * table. With `once` it returns after the story; otherwise it serves until SIGINT/SIGTERM.
 */
export async function dev(options: DevOptions): Promise<Devnet> {
  const print = options.out ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  const step = (label: string, detail = '') => print(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${label.padEnd(26)} ${detail}`);

  // Refused before anything starts: never overwrite a file that is not a devnet's deployment.
  if (options.deployment) checkDevDeploymentPath(options.deployment);
  let anvil: Anvil | undefined;
  const cleanup: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= (async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await anvil?.stop();
  })());
  // anvil runs in its own process group, so a terminal's Ctrl-C reaches only this process: while
  // the devnet starts, a signal stops what has started and exits; once it serves, it ends the wait.
  let served: (() => void) | undefined;
  const onSignal = () => {
    if (served) return served();
    print('stopping…');
    void shutdown().finally(() => process.exit(130));
  };
  // Listening before anvil starts: a Ctrl-C right after "anvil started" is printed must find the
  // handler (one before it ends this process, and anvil with it: startAnvil kills it on exit).
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let rpcUrl = options.rpc;
    if (!rpcUrl) {
      anvil = await startAnvil();
      rpcUrl = anvil.rpcUrl;
      step('anvil started', rpcUrl);
    } else {
      step('using chain', rpcUrl);
    }
    const { publicClient, wallet, chainId } = await connect(rpcUrl);
    cleanup.push(keepMining(rpcUrl, DEV_HEARTBEAT));
    // The story plays admin, model owner and user with anvil's default accounts 0, 1 and 3.
    const keys = [0, 1, 2, 3].map((i) => anvilKey(i));
    const [admin, modelOwner, user] = [wallet(keys[0]!), wallet(keys[1]!), wallet(keys[3]!)];
    const nodeCount = options.nodes ?? 3;
    if (!Number.isInteger(nodeCount) || nodeCount < 3 || nodeCount > NODE_KEYS.length) throw new OptionValueError({ option: '--nodes', value: String(nodeCount), expected: `3 to ${NODE_KEYS.length} (the agreed-mode apps need a committee of 3)` });
    const operators = NODE_KEYS.slice(0, nodeCount).map((i) => wallet(anvilKey(i)));
    const nodeNumber = (address: string) => operators.findIndex((o) => o.account.address.toLowerCase() === address.toLowerCase()) + 1;

    const deployBlock = (await publicClient.getBlockNumber()) + 1n;
    const addresses = await deployVerity(publicClient, admin, DEVNET_PARAMETERS);
    step('contracts deployed', `Coprocessor ${addresses.coprocessor}  ModelRegistry ${addresses.registry}  NodeRegistry ${addresses.nodes}  Committee ${addresses.committee}`);
    for (const [i, operator] of operators.entries()) {
      // Different stakes, so the draw visibly follows the stake.
      const stake = BigInt(i + 1) * 10n ** 18n;
      await stakeNode(publicClient, operator, { nodes: addresses.nodes, stake, name: `dev-node-${i + 1}`, apiUrl: 'http://127.0.0.1' });
      step(`node ${i + 1} staked`, `${operator.account.address}: ${formatEther(stake)} ETH in the NodeRegistry`);
    }

    const explorerModels: Record<Hex, ExplorerModelInfo> = {};
    const proved = {} as Record<keyof typeof PROVED_MODELS, ProvedModel>;
    for (const [key, m] of Object.entries(PROVED_MODELS) as [keyof typeof PROVED_MODELS, (typeof PROVED_MODELS)[keyof typeof PROVED_MODELS]][]) {
      let phase = '';
      const { compiled, cached } = await compileCached(key, readFileSync(m.path), {
        ...exampleCompileOptions(m),
        // One line per phase (first run only): the percentages would flood the story.
        progress: (e) => { if (e.phase !== phase) step(`compiling ${m.name}`, (phase = e.phase)); },
      });
      const { report } = compiled;
      const { modelId } = await registerCompiled(publicClient, modelOwner, { registry: addresses.registry, compiled, name: m.name, fee: 10n ** 15n });
      proved[key] = { modelId, name: m.name, compiled };
      explorerModels[modelId] = exampleModelInfo(m, report);
      step(`${m.name} ${cached ? 'loaded' : 'compiled'}`, `${report.constraints} constraints, ${explorerModels[modelId].accuracy}; registered as ${modelId}`);
    }
    step('setup', INSECURE_DEV_SETUP.split(':')[0]!);

    const agreedIds: Hex[] = [];
    for (const m of [AGREED_MODELS.judge, AGREED_MODELS.reader]) {
      const { modelId } = await registerAgreedModel(publicClient, modelOwner, {
        registry: addresses.registry, committee: addresses.committee!, name: m.name, fee: 10n ** 15n,
        commitment: keccak256(toHex('verity builtin-lexicon v1')), rule: m.rule,
      });
      agreedIds.push(modelId);
      explorerModels[modelId] = { accuracy: 'agreed by a staked committee', source: 'built-in offline lexicon provider (not a language model)' };
      step(`${m.name} registered`, `${modelId}, agreed mode, labels ${m.rule.labels.join(' / ')}`);
    }

    const running: VerityNode[] = [];
    // Each node has its own SQLite store, for the life of this devnet.
    const stores = mkdtempSync(join(tmpdir(), 'verity-dev-'));
    cleanup.push(async () => rmSync(stores, { recursive: true, force: true }));
    for (const [i, operator] of operators.entries()) {
      const node = await startNode({
        publicClient, wallet: operator, coprocessor: addresses.coprocessor,
        models: Object.values(proved).map((m) => ({ modelId: m.modelId, dir: m.compiled.dir })), pollMs: DEV_NODE_POLL_MS, store: join(stores, `node-${i + 1}.sqlite`), statusPort: 0,
        agreed: { models: agreedIds.map((modelId) => ({ modelId, provider: new LexiconProvider() })) },
        logger: pino({ level: process.env.VERITY_LOG_LEVEL ?? 'silent' }).child({ node: i + 1 }), deploymentBlock: deployBlock,
      });
      cleanup.push(() => node.stop());
      running.push(node);
      // A node opts in on start to every model it runs: it is drawn, and may fulfil, only for those.
      const served = await publicClient.readContract({ address: addresses.nodes, abi: nodeRegistryAbi, functionName: 'servedModels', args: [operator.account.address] });
      step(`node ${i + 1} started`, `operator ${operator.account.address}, serves ${served.length} models, ${node.statusUrl}/metrics`);
    }

    const explorer = await startExplorer({ publicClient, addresses, models: explorerModels, port: options.explorerPort ?? 0, fromBlock: deployBlock });
    cleanup.push(() => explorer.stop());
    step('explorer', explorer.url);

    const story = await runStory({ publicClient, addresses, admin, modelOwner, user, models: proved, judge: agreedIds[0]!, reader: agreedIds[1]!, step, nodeNumber, label: explorer.label });
    const proofs = story.rows.filter((r) => r.mode === 'proved').length;
    step('demo complete', `${story.rows.length} answers on chain for ${new Set(story.rows.map((r) => r.app)).size} apps (${proofs} proved, ${story.rows.length - proofs} agreed)`);
    print('');
    for (const line of summaryTable(story.rows)) print(line);
    print('');
    print(`Explorer: ${explorer.url}`);
    const modelIds: Record<string, Hex> = Object.fromEntries([
      ...Object.values(proved).map((m) => [m.name, m.modelId]),
      ...[AGREED_MODELS.judge, AGREED_MODELS.reader].map((m, i) => [m.name, agreedIds[i]!]),
    ]);
    if (options.deployment) {
      // Written once the story is over: the user's account (3) is free for `verity request` from then on.
      const deployment: Deployment = {
        chainId, rpcUrl, deployer: admin.account.address, addresses, block: deployBlock.toString(), models: modelIds,
        parameters: { adminDelay: DEVNET_PARAMETERS.adminDelay.toString(), unbondingPeriod: DEVNET_PARAMETERS.unbondingPeriod.toString(), upgradeDelay: DEVNET_PARAMETERS.upgradeDelay.toString() },
      };
      cleanup.push(writeDevDeployment(options.deployment, deployment));
      print(`Deployment: ${options.deployment} (removed when the devnet stops)`);
    }
    await options.onReady?.({ rpcUrl, explorerUrl: explorer.url, addresses, story, models: proved, deployment: options.deployment });
    if (options.once) return { story, addresses, explorerUrl: explorer.url, models: proved };

    print('');
    print(`Verity devnet is up. RPC: ${rpcUrl}`);
    print(`  Coprocessor ${addresses.coprocessor}  ModelRegistry ${addresses.registry}`);
    print('  Models:');
    for (const [name, id] of Object.entries(modelIds)) print(`    ${name.padEnd(18)} ${agreedIds.includes(id) ? 'agreed' : 'proved'}  ${id}`);
    if (options.deployment) {
      const flag = ` --deployment ${options.deployment}`;
      print(`  Send one from anvil's account 3 (an agreed answer waits for the devnet's ${AGREED_MODELS.windows.appeal} s appeal window):`);
      print(`    export VERITY_PRIVATE_KEY=${anvilKey(3)}`);
      print(`    npx verity request ${agreedIds[0]} --text "Was it a brilliant triumph?"${flag}`);
      print(`    echo '[0.6, 0.4, 0.5, 0]' > credit-input.json`);
      print(`    npx verity request ${proved.credit.modelId} --input credit-input.json --model-dir ${proved.credit.compiled.dir}${flag}`);
    }
    print('  The nodes keep serving requests and the explorer keeps watching. Ctrl-C stops them and anvil.');
    await new Promise<void>((resolve) => (served = resolve));
    print('stopping…');
    return { story, addresses, explorerUrl: explorer.url, models: proved };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await shutdown();
  }
}
