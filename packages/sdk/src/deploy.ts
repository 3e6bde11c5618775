import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { committeeAbi, committeeBytecode, coprocessorAbi, coprocessorBytecode, modelRegistryAbi, modelRegistryBytecode, nodeRegistryAbi, nodeRegistryBytecode, poseidon6Bytecode } from './generated/contracts.js';

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
  const hash = await wallet.deployContract({ abi: p.abi, bytecode: p.bytecode, args: p.args ?? [] } as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress || receipt.status !== 'success') throw new Error(`deployment failed in ${hash}`);
  return { address: receipt.contractAddress, gasUsed: receipt.gasUsed };
}

/** Network parameters chosen at deployment (all can be changed later by the owner). */
export type DeployOptions = {
  /** stake an operator needs to be assigned work (default 1 ether) */
  minStake?: bigint;
  /** seconds before unbonded stake can be withdrawn (default 7 days) */
  unbondingPeriod?: bigint;
  /** seconds during which only a request's primary node may fulfil it (default 30) */
  assignmentWindow?: bigint;
  /** agreed-mode committee parameters (defaults: Committee.sol's) */
  committee?: CommitteeOptions;
};

/** Agreed-mode parameters: committee sizes, phase windows in seconds, slashes and the appeal bond. */
export type CommitteeOptions = {
  size?: number;
  appealSizes?: number[];
  maxRounds?: number;
  /** seconds for the leader to propose, members to commit, to reveal, and anyone to appeal */
  windows?: { propose: number; commit: number; reveal: number; appeal: number };
  noShowSlash?: bigint;
  wrongSlash?: bigint;
  appealBond?: bigint;
};

/**
 * Deploys Poseidon(6), the ModelRegistry, the NodeRegistry, the Coprocessor and the agreed-mode
 * Committee (owned by the wallet's account), connects the Committee and the Coprocessor, and
 * makes both slashers of the NodeRegistry.
 *
 * @example
 * const addresses = await deployVerity(publicClient, wallet)
 */
export async function deployVerity(publicClient: PublicClient, wallet: Wallet, options: DeployOptions = {}): Promise<VerityAddresses> {
  const owner = wallet.account.address;
  const poseidon = (await deploy(publicClient, wallet, { abi: [], bytecode: poseidon6Bytecode })).address;
  const registry = (await deploy(publicClient, wallet, { abi: modelRegistryAbi, bytecode: modelRegistryBytecode })).address;
  const nodes = (await deploy(publicClient, wallet, {
    abi: nodeRegistryAbi, bytecode: nodeRegistryBytecode, args: [owner, options.minStake ?? 10n ** 18n, options.unbondingPeriod ?? 7n * 86_400n],
  })).address;
  const coprocessor = (await deploy(publicClient, wallet, {
    abi: coprocessorAbi, bytecode: coprocessorBytecode, args: [registry, poseidon, nodes, owner],
  })).address;
  const send = async (hash: Promise<Hex>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== 'success') throw new Error(`deployment step failed in ${receipt.transactionHash}`);
  };
  const committee = (await deploy(publicClient, wallet, { abi: committeeAbi, bytecode: committeeBytecode, args: [nodes, registry, owner] })).address;
  await send(wallet.writeContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'setSlasher', args: [coprocessor, true] }));
  await send(wallet.writeContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'setSlasher', args: [committee, true] }));
  await send(wallet.writeContract({ address: committee, abi: committeeAbi, functionName: 'setCoprocessor', args: [coprocessor] }));
  await send(wallet.writeContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'setCommittee', args: [committee] }));
  if (options.committee) await send(setCommitteeParameters(publicClient, wallet, committee, options.committee));
  if (options.assignmentWindow !== undefined) {
    const read = (functionName: 'protocolFee' | 'treasury' | 'missSlash') => publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName });
    const [fee, treasury, slash] = await Promise.all([read('protocolFee'), read('treasury'), read('missSlash')]);
    await send(wallet.writeContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'setNetworkParameters', args: [fee as bigint, treasury as Address, options.assignmentWindow, slash as bigint] }));
  }
  return { poseidon, registry, nodes, coprocessor, committee };
}

/** Changes some of the Committee's parameters, keeping the others (the owner's wallet). */
export async function setCommitteeParameters(publicClient: PublicClient, wallet: Wallet, committee: Address, o: CommitteeOptions): Promise<Hex> {
  const read = <T>(functionName: string) => publicClient.readContract({ address: committee, abi: committeeAbi, functionName } as never) as Promise<T>;
  const [size, appealSizes, maxRounds, propose, commit, reveal, appeal, noShow, wrong, bond] = await Promise.all([
    read<number>('committeeSize'), read<readonly number[]>('getAppealSizes'), read<number>('maxRounds'),
    read<bigint>('proposeWindow'), read<bigint>('commitWindow'), read<bigint>('revealWindow'), read<bigint>('appealWindow'),
    read<bigint>('noShowSlash'), read<bigint>('wrongSlash'), read<bigint>('appealBond'),
  ]);
  const w = o.windows;
  return wallet.writeContract({
    address: committee, abi: committeeAbi, functionName: 'setParameters',
    args: [
      o.size ?? size, o.appealSizes ?? [...appealSizes], o.maxRounds ?? maxRounds,
      w ? [BigInt(w.propose), BigInt(w.commit), BigInt(w.reveal), BigInt(w.appeal)] : [propose, commit, reveal, appeal],
      o.noShowSlash ?? noShow, o.wrongSlash ?? wrong, o.appealBond ?? bond,
    ],
  });
}

/**
 * Registers the wallet's account as a node operator with `stake` (wei), so it can be assigned
 * requests and fulfil them.
 *
 * @example
 * await stakeNode(publicClient, operatorWallet, { nodes: addresses.nodes, stake: 10n ** 18n, name: 'node-1', apiUrl: 'https://node-1.example' })
 */
export async function stakeNode(publicClient: PublicClient, wallet: Wallet, p: { nodes: Address; stake: bigint; name: string; apiUrl?: string }): Promise<void> {
  const hash = await wallet.writeContract({ address: p.nodes, abi: nodeRegistryAbi, functionName: 'register', args: [p.name, p.apiUrl ?? ''], value: p.stake });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`node registration failed in ${hash}`);
}
