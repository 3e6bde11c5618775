import type { Address, Hex, PublicClient } from 'viem';
import type { Wallet } from './deploy.js';
import { nodeRegistryAbi } from './generated/contracts.js';
import { sendContract } from './send.js';

/**
 * Registers the wallet's account as a node operator with `stake` (wei) and, when `models` are
 * given, opts it in to serve them ({@link serveModels}). An operator is drawn only for the
 * models it serves.
 *
 * @example
 * await stakeNode(publicClient, operatorWallet, { nodes: addresses.nodes, stake: 10n ** 18n, name: 'node-1', apiUrl: 'https://node-1.example', models: [modelId] })
 */
export async function stakeNode(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { nodes: Address; stake: bigint; name: string; apiUrl?: string; models?: readonly Hex[] },
): Promise<void> {
  await sendContract(publicClient, wallet, { address: p.nodes, abi: nodeRegistryAbi, functionName: 'register', args: [p.name, p.apiUrl ?? ''], value: p.stake });
  if (p.models?.length) await serveModels(publicClient, wallet, { nodes: p.nodes, modelIds: p.models });
}

/**
 * Opts the wallet's (registered) operator in to serve each of `modelIds` it does not serve yet
 * (`NodeRegistry.serveModel`), so it can be drawn for their requests and fulfil them; at most
 * 16 models per operator (`TooManyModels`). Returns the models newly opted in.
 *
 * @example
 * const added = await serveModels(publicClient, operatorWallet, { nodes: addresses.nodes, modelIds: [spamModelId, creditModelId] })
 */
export async function serveModels(publicClient: PublicClient, wallet: Wallet, p: { nodes: Address; modelIds: readonly Hex[] }): Promise<Hex[]> {
  const served = new Set((await publicClient.readContract({ address: p.nodes, abi: nodeRegistryAbi, functionName: 'servedModels', args: [wallet.account.address] })).map((m) => m.toLowerCase()));
  const added: Hex[] = [];
  for (const modelId of p.modelIds) {
    if (served.has(modelId.toLowerCase())) continue;
    await sendContract(publicClient, wallet, { address: p.nodes, abi: nodeRegistryAbi, functionName: 'serveModel', args: [modelId] });
    served.add(modelId.toLowerCase());
    added.push(modelId);
  }
  return added;
}

/**
 * Stops serving `modelIds` (`NodeRegistry.stopServing`): the operator is no longer drawn for
 * their new requests. Returns the models it stopped serving (those it served).
 *
 * @example
 * await stopServing(publicClient, operatorWallet, { nodes: addresses.nodes, modelIds: [modelId] })
 */
export async function stopServing(publicClient: PublicClient, wallet: Wallet, p: { nodes: Address; modelIds: readonly Hex[] }): Promise<Hex[]> {
  const served = new Set((await publicClient.readContract({ address: p.nodes, abi: nodeRegistryAbi, functionName: 'servedModels', args: [wallet.account.address] })).map((m) => m.toLowerCase()));
  const stopped: Hex[] = [];
  for (const modelId of p.modelIds) {
    if (!served.has(modelId.toLowerCase())) continue;
    await sendContract(publicClient, wallet, { address: p.nodes, abi: nodeRegistryAbi, functionName: 'stopServing', args: [modelId] });
    stopped.push(modelId);
  }
  return stopped;
}
