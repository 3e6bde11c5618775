import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { coprocessorAbi, coprocessorBytecode, modelRegistryAbi, modelRegistryBytecode, poseidon6Bytecode } from './generated/contracts.js';

export type Wallet = WalletClient<Transport, Chain, Account>;

/** Where the core contracts live on one chain. */
export type VerityAddresses = { poseidon: Address; registry: Address; coprocessor: Address };

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

/**
 * Deploys Poseidon(6), the ModelRegistry and the Coprocessor (owned by the wallet's account).
 *
 * @example
 * const addresses = await deployVerity(publicClient, wallet)
 */
export async function deployVerity(publicClient: PublicClient, wallet: Wallet): Promise<VerityAddresses> {
  const poseidon = (await deploy(publicClient, wallet, { abi: [], bytecode: poseidon6Bytecode })).address;
  const registry = (await deploy(publicClient, wallet, { abi: modelRegistryAbi, bytecode: modelRegistryBytecode })).address;
  const coprocessor = (await deploy(publicClient, wallet, {
    abi: coprocessorAbi, bytecode: coprocessorBytecode, args: [registry, poseidon, wallet.account.address],
  })).address;
  return { poseidon, registry, coprocessor };
}
