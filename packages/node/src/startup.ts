import { readdirSync, readFileSync } from 'node:fs';
import { encodeFunctionData, zeroAddress, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import { BaseError, NoCommitteeError } from '@verity/errors';
import { coprocessorAbi, decodeRevert, nodeRegistryAbi, withGasMargin } from '@verity/sdk';
import { Prover, RequestBatchProver, type BackendChoice } from '@verity/zkml';
import { verifyAgainstRegistry } from './artefacts.js';
import { errorText, type Logger } from './log.js';
import { LocalProving, QueueProving, type ProvingBackend } from './proving.js';
import { JobStore } from './store.js';
import type { TxManager } from './txmanager.js';
import { Validator, type AgreedOptions } from './validator.js';

// The steps a node takes before its loops start, in the order startNode calls them.

/** The store belongs to another chain, Coprocessor or operator. */
export class StoreMismatchError extends BaseError {
  override name = 'StoreMismatchError';
  /** what differs: `chain`, `coprocessor` or `operator` */
  readonly key: string;
  constructor({ key, stored, actual }: { key: string; stored: string; actual: string }) {
    super(`the job store was made for ${key} ${stored}, but this node runs with ${actual}`, {
      details: 'Give each chain, Coprocessor and operator key its own store file (config `store`).',
    });
    this.key = key;
  }
}

/**
 * Opens the job store (a SQLite file, memory, or the store given) and pins it to one chain,
 * Coprocessor and operator: a store made for another one is a {@link StoreMismatchError}.
 */
export function openStore(given: string | JobStore | undefined, owner: { chain: number; coprocessor: Address; operator: Address }): JobStore {
  const store = given instanceof JobStore ? given : new JobStore(given ?? ':memory:');
  const pins = [['chain', String(owner.chain)], ['coprocessor', owner.coprocessor.toLowerCase()], ['operator', owner.operator.toLowerCase()]] as const;
  for (const [key, actual] of pins) {
    const stored = store.meta(key);
    if (stored !== undefined && stored !== actual) throw new StoreMismatchError({ key, stored, actual });
    store.setMeta(key, actual);
  }
  return store;
}

/** The ModelRegistry and NodeRegistry the Coprocessor uses. */
export async function protocolContracts(publicClient: PublicClient, coprocessor: Address): Promise<{ registry: Address; nodes: Address }> {
  const registry = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'registry' });
  const nodes = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'nodes' });
  return { registry, nodes };
}

/** Whether a model's exported verifier has `verifyBatch` (see @verity/zkml's batch verifier). */
function hasBatchVerifier(prover: Prover): boolean {
  const build = JSON.parse(readFileSync(prover.compiled.path('verifierBuild'), 'utf8')) as { abi: { type: string; name?: string }[] };
  return build.abi.some((e) => e.type === 'function' && e.name === 'verifyBatch');
}

/**
 * Loads each served model's prover, its artefacts first checked against the registry; the
 * models whose verifier has `verifyBatch` are `batchable` (by lower-case id).
 */
export async function loadModels(p: {
  publicClient: PublicClient; registry: Address; models: readonly { modelId: Hex; dir: string }[];
  verifyArtefacts: boolean; prover?: { backend?: BackendChoice; threads?: number }; log: Logger;
}): Promise<{ provers: Map<string, Prover>; batchable: Set<string> }> {
  const provers = new Map<string, Prover>();
  const batchable = new Set<string>();
  for (const m of p.models) {
    if (p.verifyArtefacts) await verifyAgainstRegistry(p.publicClient, { registry: p.registry, modelId: m.modelId, dir: m.dir });
    const prover = await Prover.load(m.dir, p.prover);
    provers.set(m.modelId.toLowerCase(), prover);
    // Verifiers exported before batch verifiers have only verifyProof: their requests go one by one.
    if (hasBatchVerifier(prover)) batchable.add(m.modelId.toLowerCase());
    p.log.info({ modelId: m.modelId, dir: m.dir, backend: prover.backend.name, batchVerifier: batchable.has(m.modelId.toLowerCase()) }, 'model loaded');
  }
  return { provers, batchable };
}

/**
 * The request-batch circuits of the models (`<dir>/requests-K`, the largest K), keyed by model:
 * their ready requests are proved together (see ProvedJobs.submitRequests).
 */
export async function loadRequestBatches(p: {
  models: readonly { modelId: Hex; dir: string }[]; prover?: { backend?: BackendChoice; threads?: number }; log: Logger;
}): Promise<Map<string, RequestBatchProver>> {
  const provers = new Map<string, RequestBatchProver>();
  for (const m of p.models) {
    const k = Math.max(0, ...readdirSync(m.dir).map((f) => /^requests-(\d+)$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number));
    if (k < 2) continue;
    const prover = await RequestBatchProver.load(m.dir, k, p.prover);
    provers.set(m.modelId.toLowerCase(), prover);
    p.log.info({ modelId: m.modelId, k, backend: prover.backend.name }, 'request-batch circuit loaded: up to K requests in one proof');
  }
  return provers;
}

/** Logs a warning when the operator has no active stake: the Coprocessor would refuse its fulfilments. */
export async function warnIfNotStaked(p: { publicClient: PublicClient; nodes: Address; operator: Address; log: Logger }): Promise<void> {
  if (!(await p.publicClient.readContract({ address: p.nodes, abi: nodeRegistryAbi, functionName: 'isActive', args: [p.operator] }))) {
    p.log.warn({ operator: p.operator, nodes: p.nodes }, 'this operator is not staked in the NodeRegistry: the Coprocessor will refuse its fulfilments (register with a stake first)');
  }
}

/** Where proofs are computed: a backend given as is, proving workers behind Redis, or this process. */
export type ProvingOption = ProvingBackend | { redis: string; concurrency?: number; timeoutMs?: number };

/** The proving backend for `option` (default: in this process, one proof at a time). */
export async function connectProving(option: ProvingOption | undefined, p: { provers: Map<string, Prover>; log: Logger; scope: string }): Promise<ProvingBackend> {
  const proving = !option
    ? new LocalProving(p.provers)
    : 'prove' in option
      ? option
      : await QueueProving.connect({ ...option, provers: p.provers, logger: p.log, scope: p.scope });
  if (proving.kind === 'queue') p.log.info({ concurrency: proving.concurrency }, 'proofs go to proving workers through Redis');
  return proving;
}

/**
 * Opts the operator in (`NodeRegistry.serveModel`) to each model it serves and does not serve
 * on chain yet: operators are drawn only for the models they opted in to. With `optIn` false it
 * only warns. A failed opt-in is logged, not thrown (the operator may not be staked yet).
 */
export async function optInToModels(p: {
  publicClient: PublicClient; account: LocalAccount; nodes: Address; txm: TxManager; modelIds: readonly Hex[]; optIn: boolean; log: Logger;
}): Promise<void> {
  const { publicClient, account, nodes, log } = p;
  const servedOnChain = new Set((await publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'servedModels', args: [account.address] })).map((m) => m.toLowerCase()));
  for (const modelId of p.modelIds) {
    if (servedOnChain.has(modelId.toLowerCase())) continue;
    if (!p.optIn) {
      log.warn({ modelId }, 'not opted in to serve this model (optIn is false): the node is never drawn for it and cannot fulfil it');
      continue;
    }
    try {
      const gas = await publicClient.estimateContractGas({ account, address: nodes, abi: nodeRegistryAbi, functionName: 'serveModel', args: [modelId] });
      const tx = await p.txm.send(0n, { to: nodes, data: encodeFunctionData({ abi: nodeRegistryAbi, functionName: 'serveModel', args: [modelId] }), gas: withGasMargin(gas) }, 'serve');
      servedOnChain.add(modelId.toLowerCase());
      log.info({ modelId, tx: tx.hash }, 'opting in to serve model');
    } catch (e) {
      log.warn({ modelId, err: errorText(decodeRevert(e)) }, 'could not opt in to serve model (register with a stake first)');
    }
  }
}

/**
 * Agreed mode: the validator for the models in `agreed`, in the Committee the Coprocessor
 * names; undefined when the node validates no agreed model.
 */
export async function connectValidator(p: {
  publicClient: PublicClient; account: LocalAccount; coprocessor: Address; chainId: number; store: JobStore; txm: TxManager; log: Logger;
  agreed?: AgreedOptions; fromBlock: bigint; maxRange: bigint; deploymentBlock: bigint;
}): Promise<Validator | undefined> {
  const { agreed, coprocessor, log } = p;
  if (!agreed || agreed.models.length === 0) return undefined;
  const committee = await p.publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'committee' });
  if (committee === zeroAddress) throw new NoCommitteeError({ reason: `the Coprocessor ${coprocessor} has no committee, but the node config lists agreed models` });
  const validator = new Validator({
    publicClient: p.publicClient, account: p.account, committee, coprocessor, chainId: p.chainId, store: p.store, txm: p.txm, log,
    agreed, fromBlock: p.fromBlock, maxRange: p.maxRange, deploymentBlock: p.deploymentBlock,
  });
  log.info({ committee, models: agreed.models.map((m) => ({ modelId: m.modelId, provider: m.provider.name })) }, 'agreed mode: validating');
  return validator;
}
