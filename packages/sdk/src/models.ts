import { parseEventLogs, type Abi, type Address, type Hex, type PublicClient } from 'viem';
import { deploy, type Wallet } from './deploy.js';
import { DevSetupError, isDevnet, UnpinnedWeightsError, UnsupportedVisibilityError } from './errors/deploy.js';
import { modelRegistryAbi } from './generated/contracts.js';
import { sendContract } from './send.js';
import type { IOSpec } from './client.js';

/** ModelRegistry.WeightsPinning: what stops a node from answering a proved model with other weights. */
export const WeightsPinning = { None: 0, VerifyingKey: 1, Commitment: 2 } as const;
export type WeightsPinningName = keyof typeof WeightsPinning;
/** ModelRegistry.SetupKind: who made the proving key. */
export const SetupKind = { Dev: 0, Ceremony: 1 } as const;
export type SetupKindName = keyof typeof SetupKind;

/**
 * One version of a model (ModelRegistry.VersionSpec): what requests made while it is
 * effective are checked against.
 */
export type VersionSpec = {
  /** the Groth16 verifier contract (zero for agreed-mode models) */
  verifier: Address;
  /** hash of the quantised model (report.json `modelCommitment`), or what validators run in agreed mode */
  commitment: Hex;
  /** `--weights committed`: the Poseidon commitment of the secret weights; else 0 */
  weightsCommitment: bigint;
  io: IOSpec;
  /** VerifyingKey (constant weights), Commitment (committed weights); None only for agreed-mode models */
  pinning: WeightsPinningName;
  /** Dev (insecure single-party setup) or Ceremony */
  setup: SetupKindName;
};

/**
 * The fields of a compiled model's `report.json` (from `verity compile`) that registration
 * reads. `@verity/zkml`'s `CompileReport` has them all.
 */
export type CompiledModelReport = {
  modelCommitment: Hex;
  /** how the weights enter the circuit (reports before this field: constant) */
  weightEncoding?: 'constant' | 'signals' | 'committed';
  weights?: { commitment: string };
  layout: { inputCount: number; inputWidth: number; outputCount: number; outputBits: number; inputVisibility?: string };
  quantization: { outputScale: number };
  setup: { ptau: 'dev' | 'ceremony'; insecure: boolean };
};

/** Where the model's verifier is: already deployed, or a build (verifier.json) to deploy first. */
export type VerifierSource = { verifier: Address } | { verifierBuild: { abi: readonly unknown[]; bytecode: Hex } };

/**
 * The version spec a compiled model registers with, checked the way the registry and the
 * Coprocessor will: the input must be committed ({@link UnsupportedVisibilityError}), the
 * weights pinned ({@link UnpinnedWeightsError} for `--weights signals`), and a dev setup is
 * refused on a chain that is not a devnet unless `allowDevSetup` ({@link DevSetupError}).
 *
 * @example
 * const spec = versionSpecOf(JSON.parse(readFileSync('build/spam/report.json', 'utf8')), { verifier, chainId: 31337 })
 */
export function versionSpecOf(report: CompiledModelReport, p: { verifier: Address; chainId: number; allowDevSetup?: boolean }): VersionSpec {
  const visibility = report.layout.inputVisibility ?? 'committed';
  if (visibility !== 'committed') throw new UnsupportedVisibilityError({ visibility });
  const encoding = report.weightEncoding ?? (report.weights ? 'committed' : 'constant');
  if (encoding !== 'constant' && encoding !== 'committed') throw new UnpinnedWeightsError({ encoding });
  const dev = report.setup.insecure || report.setup.ptau === 'dev';
  if (dev && !isDevnet(p.chainId) && !p.allowDevSetup) throw new DevSetupError({ chainId: p.chainId });
  const committed = encoding === 'committed';
  if (committed && !report.weights?.commitment) throw new UnpinnedWeightsError({ encoding: 'committed (without weights.commitment in report.json)' });
  const { inputCount, inputWidth, outputCount, outputBits } = report.layout;
  return {
    verifier: p.verifier,
    commitment: report.modelCommitment,
    weightsCommitment: committed ? BigInt(report.weights!.commitment) : 0n,
    io: { inputCount, inputWidth, outputCount, outputBits, outputScale: report.quantization.outputScale },
    pinning: committed ? 'Commitment' : 'VerifyingKey',
    setup: dev ? 'Dev' : 'Ceremony',
  };
}

/**
 * The spec as the contract takes it (enums by index), for a direct `registerModel` or `updateModel` call.
 *
 * @example
 * await sendContract(publicClient, owner, { address: registry, abi: modelRegistryAbi, functionName: 'updateModel', args: [modelId, toContractSpec(spec)] })
 */
export const toContractSpec = (s: VersionSpec) => ({ ...s, pinning: WeightsPinning[s.pinning], setup: SetupKind[s.setup] });

async function verifierAddress(publicClient: PublicClient, wallet: Wallet, source: VerifierSource): Promise<Address> {
  if ('verifier' in source) return source.verifier;
  return (await deploy(publicClient, wallet, { abi: source.verifierBuild.abi as Abi, bytecode: source.verifierBuild.bytecode })).address;
}

/**
 * Registers a compiled model in proved mode, owned by the wallet's account (which receives its
 * fee), after the checks of {@link versionSpecOf}: deploys its verifier first when given a
 * build. Returns the model id (version 1).
 *
 * @example
 * const report = JSON.parse(readFileSync('build/spam/report.json', 'utf8'))
 * const verifierBuild = JSON.parse(readFileSync('build/spam/verifier.json', 'utf8'))
 * const { modelId, verifier } = await registerProvedModel(publicClient, ownerWallet, { registry: addresses.registry, name: 'spam', fee: parseEther('0.001'), report, verifierBuild })
 */
export async function registerProvedModel(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Address; name: string; fee: bigint; report: CompiledModelReport; allowDevSetup?: boolean } & VerifierSource,
): Promise<{ modelId: Hex; verifier: Address; spec: VersionSpec }> {
  const chainId = await publicClient.getChainId();
  // Checked before the verifier is deployed: a refused model costs nothing.
  versionSpecOf(p.report, { verifier: '0x0000000000000000000000000000000000000000', chainId, allowDevSetup: p.allowDevSetup });
  const verifier = await verifierAddress(publicClient, wallet, p);
  const spec = versionSpecOf(p.report, { verifier, chainId, allowDevSetup: p.allowDevSetup });
  const { receipt } = await sendContract(publicClient, wallet, {
    address: p.registry, abi: modelRegistryAbi, functionName: 'registerModel', args: [p.name, 0, toContractSpec(spec), p.fee],
  });
  const [event] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: 'ModelRegistered' });
  return { modelId: event!.args.modelId, verifier, spec };
}

/**
 * Schedules a new version of a proved model (its owner's wallet): effective from `activeFrom`
 * (unix seconds, after the registry's `upgradeDelay`), visible meanwhile as
 * `pendingUpdate(modelId)`; requests made before then, and those pinned with
 * `requestVersion`, keep the current version. Same checks as {@link registerProvedModel}.
 *
 * @example
 * const { version, activeFrom } = await updateProvedModel(publicClient, ownerWallet, { registry, modelId, report, verifierBuild })
 */
export async function updateProvedModel(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Address; modelId: Hex; report: CompiledModelReport; allowDevSetup?: boolean } & VerifierSource,
): Promise<{ version: number; activeFrom: bigint; verifier: Address; spec: VersionSpec }> {
  const chainId = await publicClient.getChainId();
  versionSpecOf(p.report, { verifier: '0x0000000000000000000000000000000000000000', chainId, allowDevSetup: p.allowDevSetup });
  const verifier = await verifierAddress(publicClient, wallet, p);
  const spec = versionSpecOf(p.report, { verifier, chainId, allowDevSetup: p.allowDevSetup });
  const { receipt } = await sendContract(publicClient, wallet, {
    address: p.registry, abi: modelRegistryAbi, functionName: 'updateModel', args: [p.modelId, toContractSpec(spec)],
  });
  const [event] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: 'ModelUpdateScheduled' });
  return { version: event!.args.version, activeFrom: BigInt(event!.args.activeFrom), verifier, spec };
}

/**
 * Gives one version of a proved model (its owner's wallet) the verifier of its request-batch
 * circuit (`verity compile --requests K`, `<model dir>/requests-K/`): deploys it first when
 * given a build. Set once per version; only requests made after it may be fulfilled together
 * (`Coprocessor.fulfillRequests`). An insecure dev setup is refused off a devnet unless
 * `allowDevSetup` ({@link DevSetupError}).
 *
 * @example
 * const dir = 'build/spam/requests-16'
 * await setRequestBatchVerifier(publicClient, ownerWallet, { registry, modelId, version: 1, k: 16, insecure: true, verifierBuild: JSON.parse(readFileSync(`${dir}/verifier.json`, 'utf8')) })
 */
export async function setRequestBatchVerifier(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Address; modelId: Hex; version: number; k: number; insecure: boolean; allowDevSetup?: boolean } & VerifierSource,
): Promise<{ verifier: Address }> {
  const chainId = await publicClient.getChainId();
  if (p.insecure && !isDevnet(chainId) && !p.allowDevSetup) throw new DevSetupError({ chainId });
  const verifier = await verifierAddress(publicClient, wallet, p);
  await sendContract(publicClient, wallet, {
    address: p.registry, abi: modelRegistryAbi, functionName: 'setRequestBatchVerifier', args: [p.modelId, p.version, verifier, p.k],
  });
  return { verifier };
}
