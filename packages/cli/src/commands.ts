// `verity deploy`, `verity register` and `verity request`: the protocol on any EVM chain, from
// the command line. Deployments are remembered in a JSON file the other two commands read.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatEther, hexToString, isHex, keccak256, parseEther, toHex, type Address, type Hex } from 'viem';
import {
  connect, createVerityClient, DEFAULT_ADMIN_DELAY, DEFAULT_UNBONDING_PERIOD, DEFAULT_UPGRADE_DELAY, deployVerity, DEVNET_CHAIN_IDS, DevSetupError, isDevnet, Mode, nodeRegistryAbi, registerAgreedModel,
  sendContract, serveModels, SetupKind, stakeNode, stopServing, WeightsPinning, CRITERIA, type CriterionName, type GasQuote, type VerityAddresses,
} from '@verity/sdk';
import { BaseError } from '@verity/errors';
import { ArtefactError, CompiledDirNotFoundError, encodeInputBytes, loadCompiled, quantizeInput, readInputFile } from '@verity/zkml';
import { startExplorer } from '@verity/explorer';
import { followAgreedRequest } from './agreedProgress.js';
import { findModelInfo } from './exampleModels.js';
import { PINNING_NAMES, registerCompiled } from './models.js';
import { formatDuration, OptionValueError, parseDuration, parseWindows } from './options.js';
import { UsageError } from './errors.js';

/** What `verity deploy` writes: where the contracts are, on which chain, with which delays (seconds, as decimal strings). */
export type Deployment = {
  chainId: number; rpcUrl: string; deployer: Address; addresses: VerityAddresses;
  /** the deployment's first block: nothing of Verity's on this deployment is older */
  block: string;
  parameters?: { adminDelay: string; unbondingPeriod: string; upgradeDelay: string };
  /** `verity dev` only: its registered models, full ids by name */
  models?: Record<string, Hex>;
};

/**
 * A dev-setup model refused off a devnet, with the command line's way out (the flag, not the
 * sdk's option).
 */
export class DevSetupRefusedError extends DevSetupError {
  override readonly details = `Whoever ran a single-party setup can forge proofs. Use a ceremony (\`verity setup import-ptau FILE\`, recompile, then \`verity setup contribute\`), or pass --allow-dev-setup if this chain is a test network (the registry records the setup as Dev for everyone to see). Only chains ${DEVNET_CHAIN_IDS.join(' and ')} are treated as devnets.`;
}

/** The command needs a key and none was given. */
export class MissingKeyError extends BaseError {
  override name = 'MissingKeyError';
  constructor(command: string) {
    super(`verity ${command} sends transactions: set VERITY_PRIVATE_KEY (or pass --private-key)`, {
      details: 'The key pays gas and owns what it creates. On anvil, its first key is 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80.',
    });
  }
}

/** The deployment file is missing or is not one `verity deploy` wrote. */
export class DeploymentFileError extends BaseError {
  override name = 'DeploymentFileError';
  constructor(path: string, problem: string) {
    super(`Cannot use the deployment file ${path}: ${problem}`, { details: 'Run `verity deploy --rpc URL --out FILE` first, or pass --deployment FILE.' });
  }
}

/** The request's input options do not describe one input. */
export class RequestInputError extends BaseError {
  override name = 'RequestInputError';
  constructor(problem: string) {
    super(`verity request: ${problem}`, {
      details: 'Give exactly one of: --input FILE with --model-dir DIR (float values, quantised as the compiled model does), --bytes 0x… (the encoded input) or --text "…" (an agreed-mode question).',
    });
  }
}

/** A private key that is not 32 bytes of hex (the message gives its length, never the key). */
export class PrivateKeyFormatError extends BaseError {
  override name = 'PrivateKeyFormatError';
  readonly length: number;
  constructor({ length }: { length: number }) {
    super(`The private key must be 32 bytes of hex (0x + 64 digits); got ${length} characters`);
    this.length = length;
  }
}

/** The RPC serves another chain than the deployment file's. */
export class ChainMismatchError extends BaseError {
  override name = 'ChainMismatchError';
  readonly rpcChainId: number;
  readonly deploymentChainId: number;
  constructor({ rpcChainId, deploymentChainId }: { rpcChainId: number; deploymentChainId: number }) {
    super(`The RPC serves chain ${rpcChainId}, but the deployment is on chain ${deploymentChainId}`, { details: 'Pass the deployment file of this chain (--deployment), or the RPC of the deployment\'s chain (--rpc).' });
    this.rpcChainId = rpcChainId;
    this.deploymentChainId = deploymentChainId;
  }
}

/** A model id that is not 32 bytes of hex. */
export class InvalidModelIdError extends BaseError {
  override name = 'InvalidModelIdError';
  readonly value: string;
  constructor({ value }: { value: string }) {
    super(`A model id is 32 bytes of hex (0x + 64 digits); got "${value}"`);
    this.value = value;
  }
}

function key(command: string, given?: string): Hex {
  const k = given ?? process.env.VERITY_PRIVATE_KEY;
  if (!k) throw new MissingKeyError(command);
  if (!isHex(k) || k.length !== 66) throw new PrivateKeyFormatError({ length: k.length });
  return k;
}

export function readDeployment(path: string): Deployment {
  if (!existsSync(path)) throw new DeploymentFileError(path, 'no such file');
  let d: Deployment;
  try {
    d = JSON.parse(readFileSync(path, 'utf8')) as Deployment;
  } catch (e) {
    throw new DeploymentFileError(path, `not JSON (${(e as Error).message})`);
  }
  if (!d.addresses?.coprocessor || !d.addresses.registry) throw new DeploymentFileError(path, 'it has no addresses.coprocessor and addresses.registry');
  return d;
}

/** Clients for the deployment's chain (`rpc`, VERITY_RPC_URL or the file's URL); refuses another chain. */
async function connectTo(d: Deployment, rpc?: string) {
  const c = await connect(rpc ?? process.env.VERITY_RPC_URL ?? d.rpcUrl);
  if (c.chainId !== d.chainId) throw new ChainMismatchError({ rpcChainId: c.chainId, deploymentChainId: d.chainId });
  return c;
}

/** `verity deploy`: the core contracts and the agreed-mode Committee, owned by the key's account. */
export async function deployCommand(o: {
  rpc: string; out: string; privateKey?: string; minStake?: string; log: (l: string) => void;
  /** durations: seconds or a number with s, m, h or d (defaults: the sdk's, 8 days, 7 days and 2 days) */
  adminDelay?: string; unbonding?: string; upgradeDelay?: string;
  /** the committee's windows, "propose,commit,reveal,appeal" (default: the Committee's) */
  windows?: string;
}): Promise<Deployment> {
  const adminDelay = o.adminDelay === undefined ? DEFAULT_ADMIN_DELAY : parseDuration('--admin-delay', o.adminDelay);
  const unbondingPeriod = o.unbonding === undefined ? DEFAULT_UNBONDING_PERIOD : parseDuration('--unbonding', o.unbonding);
  const upgradeDelay = o.upgradeDelay === undefined ? DEFAULT_UPGRADE_DELAY : parseDuration('--upgrade-delay', o.upgradeDelay);
  const windows = o.windows === undefined ? undefined : parseWindows(o.windows);
  const { publicClient, wallet, chainId } = await connect(o.rpc);
  const w = wallet(key('deploy', o.privateKey));
  o.log(`deploying to chain ${chainId} at ${o.rpc} from ${w.account.address} (balance ${formatEther(await publicClient.getBalance({ address: w.account.address }))} ETH)`);
  o.log(`  admin changes wait ${formatDuration(adminDelay)}, unbonding takes ${formatDuration(unbondingPeriod)}, model updates wait ${formatDuration(upgradeDelay)}${isDevnet(chainId) && adminDelay <= unbondingPeriod ? ' (devnet: the admin could act before operators leave)' : ''}`);
  // Every event of this deployment is in a later block than the head now.
  const block = (await publicClient.getBlockNumber()) + 1n;
  // deployVerity refuses adminDelay <= unbondingPeriod off a devnet (AdminDelayError) before it sends anything.
  const addresses = await deployVerity(publicClient, w, {
    minStake: o.minStake ? parseEther(o.minStake) : undefined, adminDelay, unbondingPeriod, upgradeDelay, committee: windows && { windows },
  });
  const d: Deployment = {
    chainId, rpcUrl: o.rpc, deployer: w.account.address, block: block.toString(), addresses,
    parameters: { adminDelay: adminDelay.toString(), unbondingPeriod: unbondingPeriod.toString(), upgradeDelay: upgradeDelay.toString() },
  };
  writeFileSync(o.out, JSON.stringify(d, null, 2) + '\n');
  for (const [name, address] of Object.entries(addresses)) o.log(`  ${name.padEnd(12)} ${address}`);
  o.log(`wrote ${o.out}`);
  return d;
}

/** `verity register`: a compiled model in proved mode, or (with `agreed`) a rule for agreed mode. */
export async function registerCommand(o: {
  deployment: string; rpc?: string; privateKey?: string; name: string; fee: string; log: (l: string) => void;
  dir?: string; agreed?: { criterion: string; labels?: string; instructions: string; commitment?: string; tolerance?: string };
  /** register a model with the insecure dev setup on a chain that is not a devnet */
  allowDevSetup?: boolean;
}): Promise<Hex> {
  const d = readDeployment(o.deployment);
  const { publicClient, wallet } = await connectTo(d, o.rpc);
  const w = wallet(key('register', o.privateKey));
  const fee = parseEther(o.fee);
  if (o.agreed) {
    if (!d.addresses.committee) throw new DeploymentFileError(o.deployment, 'it has no committee (agreed mode is not deployed there)');
    if (!CRITERIA.includes(o.agreed.criterion as CriterionName)) throw new OptionValueError({ option: '--criterion', value: o.agreed.criterion, expected: CRITERIA.join(', ') });
    const labels = o.agreed.labels?.split(',').map((l) => l.trim()).filter(Boolean);
    const { modelId } = await registerAgreedModel(publicClient, w, {
      registry: d.addresses.registry, committee: d.addresses.committee, name: o.name, fee,
      commitment: keccak256(toHex(o.agreed.commitment ?? o.name)),
      rule: { criterion: o.agreed.criterion as CriterionName, labels, instructions: o.agreed.instructions, tolerance: o.agreed.tolerance ? BigInt(o.agreed.tolerance) : undefined },
    });
    o.log(`registered agreed-mode model "${o.name}" as ${modelId} (${o.agreed.criterion}${labels ? `: ${labels.join(' / ')}` : ''}; fee ${o.fee} ETH per request)`);
    return modelId;
  }
  if (!o.dir) throw new UsageError({ command: 'register', problem: 'needs a compiled model directory (from `verity compile`), or --agreed with a rule' });
  const compiled = loadCompiled(o.dir);
  const r = compiled.report;
  const registered = await registerCompiled(publicClient, w, { registry: d.addresses.registry, compiled, name: o.name, fee, allowDevSetup: o.allowDevSetup }).catch((e: unknown) => {
    throw e instanceof DevSetupError ? new DevSetupRefusedError({ chainId: e.chainId }) : e;
  });
  const { modelId, verifier, spec, warning } = registered;
  if (warning) o.log(warning);
  o.log(`registered proved model "${o.name}" as ${modelId}: verifier ${verifier}, ${r.constraints} constraints, fee ${o.fee} ETH per request (paid to ${w.account.address})`);
  o.log(`  version 1; weights pinned by ${PINNING_NAMES[WeightsPinning[spec.pinning]]}; ${spec.setup === 'Dev' ? 'insecure dev setup' : 'ceremony setup'}`);
  return modelId;
}

/** `verity request`: one request from the key's account (no callback), waits for the answer and prints it. */
export async function requestCommand(o: {
  deployment: string; rpc?: string; privateKey?: string; modelId: string; log: (l: string) => void;
  input?: string; modelDir?: string; bytes?: string; text?: string; value?: string; wait: boolean; timeoutS?: number;
  /** only if this is the model's effective version (`requestVersion`): no other verifier can answer */
  version?: number;
  /** print the fee and the expected gas (the request simulated) and send nothing */
  dryRun?: boolean;
}): Promise<{ requestId?: bigint; answer?: string; quote?: GasQuote }> {
  if (!isHex(o.modelId) || o.modelId.length !== 66) throw new InvalidModelIdError({ value: o.modelId });
  if (o.version !== undefined && !(Number.isInteger(o.version) && o.version >= 1 && o.version < 2 ** 32)) throw new OptionValueError({ option: '--version', value: String(o.version), expected: 'a whole number from 1' });
  const given = [o.input, o.bytes, o.text].filter((v) => v !== undefined).length;
  if (given !== 1) throw new RequestInputError(given === 0 ? 'no input given' : 'more than one input given');
  if (o.input && !o.modelDir) throw new RequestInputError('--input needs --model-dir to quantise the values');
  if (o.bytes !== undefined && !isHex(o.bytes)) throw new RequestInputError(`--bytes must be hex (0x…); got "${o.bytes}"`);
  const d = readDeployment(o.deployment);
  const { publicClient, wallet } = await connectTo(d, o.rpc);
  const w = wallet(key('request', o.privateKey));
  const client = createVerityClient({ publicClient, wallet: w, addresses: d.addresses });
  const modelId = o.modelId as Hex;
  const model = await client.getModel(modelId);
  let input: Hex;
  if (o.input) {
    const compiled = loadCompiled(o.modelDir!);
    input = encodeInputBytes(compiled.report.layout, quantizeInput(compiled.model, readInputFile(readFileSync(o.input, 'utf8'))));
  } else {
    input = o.bytes !== undefined ? (o.bytes as Hex) : toHex(o.text!);
  }
  const value = o.value !== undefined ? parseEther(o.value) : await client.quote(modelId, 0);
  const proved = model.mode === Mode.Proved;
  if (proved && model.setup === SetupKind.Dev) o.log(`warning: "${model.name}" has an insecure dev setup: whoever ran its setup can forge proofs of any answer`);
  const pending = await client.pendingUpdate(modelId);
  if (pending.version !== 0) {
    o.log(`note: version ${pending.version} of "${model.name}" takes effect at ${new Date(Number(pending.activeFrom) * 1000).toISOString()}; requests pinned with --version ${model.version} are refused from then on`);
  }
  if (o.dryRun) {
    const quote = await client.quote({ modelId, input, callbackGasLimit: 0, version: o.version });
    o.log(describeQuote(model.name, o.version ?? model.version, quote, value));
    return { quote };
  }
  const { requestId, hash, receipt } = await client.request({ modelId, input, callbackGasLimit: 0, value, version: o.version });
  const security = proved ? `; weights pinned by ${PINNING_NAMES[model.pinning] ?? 'nothing'}; ${model.setup === SetupKind.Dev ? 'insecure dev setup' : 'ceremony setup'}` : '';
  o.log(`request #${requestId} to "${model.name}" v${o.version ?? model.version}${o.version === undefined ? '' : ' (pinned)'} (${proved ? 'proved' : 'agreed'} mode${security}), fee ${formatEther(value)} ETH, tx ${hash}`);
  if (!o.wait) return { requestId };
  const timeoutMs = (o.timeoutS ?? 600) * 1000;
  const started = Date.now();
  // An agreed answer takes the committee's phases and then its appeal window (5 min by default): say where it is.
  if (!proved && d.addresses.committee) {
    await followAgreedRequest(publicClient, { committee: d.addresses.committee, requestId, fromBlock: receipt.blockNumber, log: o.log, timeoutMs });
  }
  const result = await client.waitForResult(requestId, { timeoutMs: Math.max(timeoutMs - (Date.now() - started), 1_000) });
  const answer = result.mode === 'proved'
    ? result.outputs.map((v) => (Number(v) / 2 ** model.io.outputScale).toString()).join(', ')
    : hexToString(result.output);
  o.log(`answer #${requestId}: ${answer} (${result.mode === 'proved' ? `proved by ${result.node}` : 'agreed by the committee'}, tx ${result.fulfilTx})`);
  return { requestId, answer };
}

/** The lines `verity request --dry-run` prints: the fee, the request's simulated gas and the expected gas of its answer. */
export function describeQuote(name: string, version: number, q: GasQuote, value: bigint): string {
  const g = (x: bigint) => x.toLocaleString('en-US');
  const answer = 'single' in q.answerGas
    ? `answer ~${g(q.answerGas.single)} gas by a node (one proof; ~${g(q.answerGas.batched)} as its share of a batch of 16; ~${g(q.answerGas.requestBatch)} as its share of one proof for 16 requests, when the model has a request-batch verifier)`
    : `answer ~${g(q.answerGas.expected)} gas by the committee over its transactions (~${g(q.answerGas.onChainBallots)} if members send their own ballots)`;
  return [
    `dry run, nothing sent: a request to "${name}" v${version} (${q.mode} mode)`,
    `  fee ${formatEther(value)} ETH escrowed (the quote: ${formatEther(q.fee)} ETH)`,
    `  request ~${g(q.requestGas)} gas (simulated; ${formatEther(q.requestCost)} ETH at ${formatEther(q.gasPrice, 'gwei')} gwei)`,
    `  ${answer}, callback limit ${q.callbackGasLimit} included`,
  ].join('\n');
}

/** `verity node stake`: registers the key's account as a node operator with a stake (or adds to it). */
export async function stakeCommand(o: { deployment: string; rpc?: string; privateKey?: string; stake: string; name: string; apiUrl?: string; log: (l: string) => void }): Promise<void> {
  const d = readDeployment(o.deployment);
  const { publicClient, wallet } = await connectTo(d, o.rpc);
  const w = wallet(key('node stake', o.privateKey));
  const value = parseEther(o.stake);
  const before = await publicClient.readContract({ address: d.addresses.nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [w.account.address] });
  if (before.registered) {
    await sendContract(publicClient, w, { address: d.addresses.nodes, abi: nodeRegistryAbi, functionName: 'addStake', value });
  } else {
    await stakeNode(publicClient, w, { nodes: d.addresses.nodes, stake: value, name: o.name, apiUrl: o.apiUrl });
  }
  const after = await publicClient.readContract({ address: d.addresses.nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [w.account.address] });
  const minStake = await publicClient.readContract({ address: d.addresses.nodes, abi: nodeRegistryAbi, functionName: 'minStake' });
  o.log(`${w.account.address} (${after.name}) has ${formatEther(after.stake)} ETH staked in the NodeRegistry (minimum ${formatEther(minStake)}): ${after.stake >= minStake ? 'active' : 'NOT active until it reaches the minimum'}`);
  const served = await publicClient.readContract({ address: d.addresses.nodes, abi: nodeRegistryAbi, functionName: 'servedModels', args: [w.account.address] });
  if (served.length === 0) o.log('It serves no model yet, so it is drawn for nothing: `verity node serve <modelId>...` (or `verity node start`, which opts in to the models in its config)');
}

/**
 * `verity node serve`: opts the key's account in to models (or, with `stop`, out of them). A node
 * is drawn, and may fulfil, only for the models it serves; the models must be registered.
 */
export async function serveCommand(o: { deployment: string; rpc?: string; privateKey?: string; models: string[]; stop?: boolean; log: (l: string) => void }): Promise<Hex[]> {
  for (const m of o.models) if (!isHex(m) || m.length !== 66) throw new InvalidModelIdError({ value: m });
  const d = readDeployment(o.deployment);
  const { publicClient, wallet } = await connectTo(d, o.rpc);
  const w = wallet(key(o.stop ? 'node stop-serving' : 'node serve', o.privateKey));
  const client = createVerityClient({ publicClient, addresses: d.addresses });
  // Every id names a registered model (UnknownModel for a typo) before any transaction.
  const names = new Map<Hex, string>();
  for (const modelId of o.models as Hex[]) names.set(modelId, (await client.getModel(modelId)).name);
  const p = { nodes: d.addresses.nodes, modelIds: o.models as Hex[] };
  const changed = new Set((o.stop ? await stopServing(publicClient, w, p) : await serveModels(publicClient, w, p)).map((m) => m.toLowerCase()));
  for (const [modelId, n] of names) {
    const done = changed.has(modelId.toLowerCase());
    o.log(`${done ? (o.stop ? 'stopped serving' : 'now serving') : o.stop ? 'not serving' : 'already serving'} "${n}" (${modelId})`);
  }
  const nodes = { address: d.addresses.nodes, abi: nodeRegistryAbi } as const;
  const [after, active] = await Promise.all([
    publicClient.readContract({ ...nodes, functionName: 'servedModels', args: [w.account.address] }),
    publicClient.readContract({ ...nodes, functionName: 'isActive', args: [w.account.address] }),
  ]);
  o.log(`${w.account.address} serves ${after.length} model${after.length === 1 ? '' : 's'}${active ? '' : ' (NOT active: stake at least the minimum with `verity node stake` to be drawn)'}`);
  return [...after];
}

/** `verity explorer`: serves the explorer for a deployment until Ctrl-C. */
export async function explorerCommand(o: { deployment: string; rpc?: string; port?: number; modelDirs?: string[]; log: (l: string) => void }): Promise<void> {
  const d = readDeployment(o.deployment);
  for (const dir of o.modelDirs ?? []) {
    if (!existsSync(dir)) throw new CompiledDirNotFoundError({ dir });
    if (!existsSync(join(dir, 'report.json'))) throw new ArtefactError({ dir, missing: 'report.json' });
  }
  const { publicClient } = await connectTo(d, o.rpc);
  const explorer = await startExplorer({ publicClient, addresses: d.addresses, port: o.port, fromBlock: BigInt(d.block), byCommitment: findModelInfo(o.modelDirs ?? []) });
  o.log(`explorer for chain ${d.chainId} (Coprocessor ${d.addresses.coprocessor}): ${explorer.url}  (Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await explorer.stop();
}
