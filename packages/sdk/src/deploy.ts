import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { coprocessorAbi, coprocessorBytecode, modelRegistryAbi, modelRegistryBytecode, nodeRegistryAbi, nodeRegistryBytecode, poseidon6Bytecode } from './generated/contracts.js';

export type Wallet = WalletClient<Transport, Chain, Account>;

/** Where the core contracts live on one chain. */
export type VerityAddresses = { poseidon: Address; registry: Address; nodes: Address; coprocessor: Address };

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
};

/**
 * Deploys Poseidon(6), the ModelRegistry, the NodeRegistry and the Coprocessor (owned by the
 * wallet's account), and makes the Coprocessor a slasher of the NodeRegistry.
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
  await send(wallet.writeContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'setSlasher', args: [coprocessor, true] }));
  if (options.assignmentWindow !== undefined) {
    const read = (functionName: 'protocolFee' | 'treasury' | 'missSlash') => publicClient.readContract({ address: coprocessor, abi: coprocessorAbi, functionName });
    const [fee, treasury, slash] = await Promise.all([read('protocolFee'), read('treasury'), read('missSlash')]);
    await send(wallet.writeContract({ address: coprocessor, abi: coprocessorAbi, functionName: 'setNetworkParameters', args: [fee as bigint, treasury as Address, options.assignmentWindow, slash as bigint] }));
  }
  return { poseidon, registry, nodes, coprocessor };
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
