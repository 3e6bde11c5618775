import { encodeDeployData, encodeFunctionData, getAddress, parseEventLogs, type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type TransactionReceipt, type Transport, type WalletClient } from 'viem';
import {
  committeeAbi, committeeBytecode, coprocessorAbi, coprocessorBytecode, modelRegistryAbi, modelRegistryBytecode, nodeRegistryAbi, nodeRegistryBytecode, poseidon8Abi, poseidon8Bytecode, poseidon8HighBytecode, poseidon8LowBytecode,
} from './generated/contracts.js';
import { TransactionRevertedError } from '@verity/errors';
import { decodeRevert } from './errors/contract.js';
import { AdminDelayError, isDevnet } from './errors/deploy.js';

export type Wallet = WalletClient<Transport, Chain, Account>;

/** Where the core contracts live on one chain. */
export type VerityAddresses = {
  poseidon: Address;
  registry: Address;
  nodes: Address;
  coprocessor: Address;
  /** the agreed-mode committee (absent on deployments made before agreed mode) */
  committee?: Address;
};

/** Deploys a contract and waits for its receipt. */
export async function deploy(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { abi: Abi; bytecode: Hex; args?: readonly unknown[] },
): Promise<{ address: Address; gasUsed: bigint }> {
  // A constructor that would revert (a parameter out of bounds) is a ContractRevertError naming it, before any gas is spent.
  try {
    await publicClient.call({ account: wallet.account, data: encodeDeployData({ abi: p.abi, bytecode: p.bytecode, args: p.args ?? [] } as never) });
  } catch (e) {
    throw decodeRevert(e);
  }
  const hash = await wallet.deployContract({ abi: p.abi, bytecode: p.bytecode, args: p.args ?? [] } as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress || receipt.status !== 'success') throw new TransactionRevertedError({ functionName: 'deploy', hash, gasUsed: receipt.gasUsed });
  return { address: getAddress(receipt.contractAddress), gasUsed: receipt.gasUsed };
}

/** The Coprocessor's parameters (`Coprocessor.Parameters`): fees, deadlines, the assignment window and the miss slash. */
export type CoprocessorParameters = {
  /** wei paid to the node that serves a request (agreed mode: shared by the committee's majority) */
  nodeFee: bigint;
  /** wei paid to `treasury` per fulfilled request */
  protocolFee: bigint;
  /** receives protocol fees and miss slashes */
  treasury: Address;
  /** wei per unit of callback gas a requester pays */
  callbackGasPrice: bigint;
  /** seconds a proved request may wait for its answer before it can be refunded (10 min to 7 days) */
  requestTimeout: bigint;
  maxCallbackGasLimit: number;
  /** seconds (from the request) during which only the drawn primary may fulfil it (at most requestTimeout / 2) */
  assignmentWindow: bigint;
  /** wei taken from a primary that let another node serve its request after its window (at most minStake / 4) */
  missSlash: bigint;
};

/** The defaults: 8 days of admin delay over 7 days of unbonding, so operators can always leave before a change applies. */
export const DEFAULT_ADMIN_DELAY = 8n * 86_400n;
export const DEFAULT_UNBONDING_PERIOD = 7n * 86_400n;
export const DEFAULT_UPGRADE_DELAY = 2n * 86_400n;

/** Network parameters chosen at deployment; later changes go through the timelock ({@link scheduleChange}). */
export type DeployOptions = {
  /** stake an operator needs to be drawn (default 1 ether) */
  minStake?: bigint;
  /** seconds before unbonded stake can be withdrawn (default 7 days, at most 90 days) */
  unbondingPeriod?: bigint;
  /**
   * Seconds between scheduling an admin change and executing it, for the Coprocessor, the
   * NodeRegistry and the Committee (default 8 days; 1 hour to 30 days). Must exceed
   * `unbondingPeriod` except on devnets ({@link AdminDelayError}).
   */
  adminDelay?: bigint;
  /** seconds before a model owner's new version takes effect (default 2 days, at most 30 days) */
  upgradeDelay?: bigint;
  /** seconds during which only a request's primary node may fulfil it (default 30); same as `coprocessor.assignmentWindow` */
  assignmentWindow?: bigint;
  /** the Coprocessor's other parameters (defaults: 0.001 ETH node fee, no protocol fee, the deployer as treasury, 1 gwei callback gas, 1 hour timeout, 2M callback gas, 0.01 ETH miss slash) */
  coprocessor?: Partial<CoprocessorParameters>;
  /** agreed-mode committee parameters */
  committee?: CommitteeOptions;
};

/** Agreed-mode parameters: committee sizes, phase windows in seconds, slashes and the appeal bond. */
export type CommitteeOptions = {
  /** members of the first committee (default 5; 3 to 31) */
  size?: number;
  /** sizes of the successive appeal committees (default [7, 11]; at most 4) */
  appealSizes?: number[];
  /** rounds before a request without an answer is refunded (default 6) */
  maxRounds?: number;
  /** seconds for the leader to propose, members to commit, to reveal, and anyone to appeal (default 60, 60, 60, 300; phases at least 5 s) */
  windows?: { propose: number; commit: number; reveal: number; appeal: number };
  /** a member that did not commit, or a leader that did not propose (default 0.01 ETH) */
  noShowSlash?: bigint;
  /** an outvoted member, or one that committed and did not reveal (default 0.05 ETH; at least noShowSlash, at most minStake / 4) */
  wrongSlash?: bigint;
  /** the first appeal's bond (default 0.1 ETH) */
  appealBond?: bigint;
};

type CommitteeParameters = {
  committeeSize: number; appealSizes: readonly number[]; maxRounds: number; proposeWindow: bigint; commitWindow: bigint; revealWindow: bigint; appealWindow: bigint;
  noShowSlash: bigint; wrongSlash: bigint; appealBond: bigint;
};

const COMMITTEE_DEFAULTS: CommitteeParameters = {
  committeeSize: 5, appealSizes: [7, 11], maxRounds: 6, proposeWindow: 60n, commitWindow: 60n, revealWindow: 60n, appealWindow: 300n,
  noShowSlash: 10n ** 16n, wrongSlash: 5n * 10n ** 16n, appealBond: 10n ** 17n,
};

/** `base` with the options given in `o`. */
function committeeParameters(base: CommitteeParameters, o: CommitteeOptions = {}): CommitteeParameters {
  const w = o.windows;
  return {
    committeeSize: o.size ?? base.committeeSize, appealSizes: o.appealSizes ?? [...base.appealSizes], maxRounds: o.maxRounds ?? base.maxRounds,
    proposeWindow: w ? BigInt(w.propose) : base.proposeWindow, commitWindow: w ? BigInt(w.commit) : base.commitWindow,
    revealWindow: w ? BigInt(w.reveal) : base.revealWindow, appealWindow: w ? BigInt(w.appeal) : base.appealWindow,
    noShowSlash: o.noShowSlash ?? base.noShowSlash, wrongSlash: o.wrongSlash ?? base.wrongSlash, appealBond: o.appealBond ?? base.appealBond,
  };
}

/** Sends a call (simulated first: a revert is a {@link ContractRevertError}) and waits for its receipt. */
async function write(publicClient: PublicClient, wallet: Wallet, call: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] }): Promise<TransactionReceipt> {
  let hash: Hex;
  try {
    const { request } = await publicClient.simulateContract({ ...call, account: wallet.account } as never);
    hash = await wallet.writeContract(request as never);
  } catch (e) {
    throw decodeRevert(e);
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new TransactionRevertedError({ functionName: call.functionName, hash, gasUsed: receipt.gasUsed });
  return receipt;
}

/**
 * Deploys Poseidon(8) (with its two constants contracts), the ModelRegistry, the NodeRegistry, the Coprocessor and the agreed-mode
 * Committee (owned by the wallet's account) with their initial parameters, then wires them once
 * (`initSlashers`, `initCoprocessor`, `initCommittee`). Every later admin change waits
 * `adminDelay` ({@link scheduleChange}, {@link executeChange}). Throws {@link AdminDelayError}
 * when `adminDelay <= unbondingPeriod` on a chain that is not a devnet, and
 * {@link ContractRevertError} `InvalidParameter(name, value)` for a parameter out of bounds.
 *
 * @example
 * const addresses = await deployVerity(publicClient, wallet)
 * // a devnet: short delays and windows
 * const dev = await deployVerity(publicClient, wallet, { adminDelay: 3600n, unbondingPeriod: 60n, assignmentWindow: 5n, committee: { windows: { propose: 8, commit: 8, reveal: 8, appeal: 3 } } })
 */
export async function deployVerity(publicClient: PublicClient, wallet: Wallet, options: DeployOptions = {}): Promise<VerityAddresses> {
  const owner = wallet.account.address;
  const adminDelay = options.adminDelay ?? DEFAULT_ADMIN_DELAY;
  const unbondingPeriod = options.unbondingPeriod ?? DEFAULT_UNBONDING_PERIOD;
  const chainId = await publicClient.getChainId();
  if (adminDelay <= unbondingPeriod && !isDevnet(chainId)) throw new AdminDelayError({ adminDelay, unbondingPeriod, chainId });
  const params: CoprocessorParameters = {
    nodeFee: 10n ** 15n, protocolFee: 0n, treasury: owner, callbackGasPrice: 10n ** 9n, requestTimeout: 3_600n, maxCallbackGasLimit: 2_000_000,
    assignmentWindow: options.assignmentWindow ?? 30n, missSlash: 10n ** 16n, ...options.coprocessor,
  };
  // Poseidon(8) keeps its constants in two contracts (too large for its own code); it checks their code hashes.
  const low = (await deploy(publicClient, wallet, { abi: [], bytecode: poseidon8LowBytecode })).address;
  const high = (await deploy(publicClient, wallet, { abi: [], bytecode: poseidon8HighBytecode })).address;
  const poseidon = (await deploy(publicClient, wallet, { abi: poseidon8Abi, bytecode: poseidon8Bytecode, args: [low, high] })).address;
  const registry = (await deploy(publicClient, wallet, { abi: modelRegistryAbi, bytecode: modelRegistryBytecode, args: [options.upgradeDelay ?? DEFAULT_UPGRADE_DELAY] })).address;
  const nodes = (await deploy(publicClient, wallet, {
    abi: nodeRegistryAbi, bytecode: nodeRegistryBytecode, args: [owner, adminDelay, options.minStake ?? 10n ** 18n, unbondingPeriod],
  })).address;
  const coprocessor = (await deploy(publicClient, wallet, {
    abi: coprocessorAbi, bytecode: coprocessorBytecode, args: [registry, poseidon, nodes, owner, adminDelay, params],
  })).address;
  const committee = (await deploy(publicClient, wallet, {
    abi: committeeAbi, bytecode: committeeBytecode, args: [nodes, registry, owner, adminDelay, committeeParameters(COMMITTEE_DEFAULTS, options.committee)],
  })).address;
  await write(publicClient, wallet, { address: nodes, abi: nodeRegistryAbi, functionName: 'initSlashers', args: [[coprocessor, committee]] });
  await write(publicClient, wallet, { address: committee, abi: committeeAbi, functionName: 'initCoprocessor', args: [coprocessor] });
  await write(publicClient, wallet, { address: coprocessor, abi: coprocessorAbi, functionName: 'initCommittee', args: [committee] });
  return { poseidon, registry, nodes, coprocessor, committee };
}

/** The Timelocked base's functions and events, which the Coprocessor, the NodeRegistry and the Committee share. */
const timelockedAbi = coprocessorAbi;

/**
 * An admin change waiting in a contract's timelock: the contract and the calldata of the
 * setter it will call on itself. Made by {@link coprocessorParametersChange},
 * {@link committeeParametersChange}, {@link nodeParametersChange}, or by hand with
 * `encodeFunctionData` (e.g. `setSlasher`, `setCommittee`).
 */
export type TimelockChange = { address: Address; data: Hex };

/**
 * Schedules an admin change (the owner's wallet): it may be executed from `readyAt` (unix
 * seconds), after the contract's `adminDelay`, and anyone can see it meanwhile
 * (`ChangeScheduled(id, data, readyAt)`).
 *
 * @example
 * const change = await committeeParametersChange(publicClient, addresses.committee!, { windows: { propose: 30, commit: 30, reveal: 30, appeal: 60 } })
 * const { readyAt } = await scheduleChange(publicClient, admin, change)
 * // ... after readyAt:
 * await executeChange(publicClient, admin, change)
 */
export async function scheduleChange(publicClient: PublicClient, wallet: Wallet, change: TimelockChange): Promise<{ id: Hex; readyAt: bigint; hash: Hex }> {
  const receipt = await write(publicClient, wallet, { address: change.address, abi: timelockedAbi, functionName: 'scheduleChange', args: [change.data] });
  const [event] = parseEventLogs({ abi: timelockedAbi, logs: receipt.logs, eventName: 'ChangeScheduled' });
  return { id: event!.args.id, readyAt: BigInt(event!.args.readyAt), hash: receipt.transactionHash };
}

/**
 * Executes a scheduled admin change once its delay has passed (the owner's wallet). Reverts
 * come back as {@link ContractRevertError}: `ChangeNotReady(id, readyAt)`,
 * `ChangeNotScheduled(id)`, or the setter's own error (`InvalidParameter(name, value)`).
 *
 * @example
 * await executeChange(publicClient, admin, change)
 */
export async function executeChange(publicClient: PublicClient, wallet: Wallet, change: TimelockChange): Promise<{ hash: Hex }> {
  const receipt = await write(publicClient, wallet, { address: change.address, abi: timelockedAbi, functionName: 'executeChange', args: [change.data] });
  return { hash: receipt.transactionHash };
}

/** Drops a scheduled admin change (the owner's wallet). */
export async function cancelChange(publicClient: PublicClient, wallet: Wallet, change: TimelockChange): Promise<{ hash: Hex }> {
  const receipt = await write(publicClient, wallet, { address: change.address, abi: timelockedAbi, functionName: 'cancelChange', args: [change.data] });
  return { hash: receipt.transactionHash };
}

/**
 * The change that sets some of the Committee's parameters and keeps the others (read now).
 *
 * @example
 * const change = await committeeParametersChange(publicClient, committee, { wrongSlash: parseEther('0.1') })
 */
export async function committeeParametersChange(publicClient: PublicClient, committee: Address, o: CommitteeOptions): Promise<TimelockChange> {
  const current = await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'parameters' });
  const p = committeeParameters(current as CommitteeParameters, o);
  return { address: committee, data: encodeFunctionData({ abi: committeeAbi, functionName: 'setParameters', args: [{ ...p, appealSizes: [...p.appealSizes] }] }) };
}

/**
 * The change that sets some of the Coprocessor's parameters and keeps the others (read now).
 *
 * @example
 * const change = await coprocessorParametersChange(publicClient, coprocessor, { assignmentWindow: 60n })
 */
export async function coprocessorParametersChange(publicClient: PublicClient, coprocessor: Address, o: Partial<CoprocessorParameters>): Promise<TimelockChange> {
  const current = await publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'parameters' });
  return { address: coprocessor, data: encodeFunctionData({ abi: coprocessorAbi, functionName: 'setParameters', args: [{ ...current, ...o }] }) };
}

/**
 * The change that sets the NodeRegistry's minimum stake and/or unbonding period (the other read now).
 *
 * @example
 * const change = await nodeParametersChange(publicClient, nodes, { minStake: parseEther('2') })
 */
export async function nodeParametersChange(publicClient: PublicClient, nodes: Address, o: { minStake?: bigint; unbondingPeriod?: bigint }): Promise<TimelockChange> {
  const [minStake, unbondingPeriod] = await Promise.all([
    o.minStake ?? publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'minStake' }),
    o.unbondingPeriod ?? publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'unbondingPeriod' }),
  ]);
  return { address: nodes, data: encodeFunctionData({ abi: nodeRegistryAbi, functionName: 'setParameters', args: [minStake, BigInt(unbondingPeriod)] }) };
}
