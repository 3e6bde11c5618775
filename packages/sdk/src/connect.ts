import { createPublicClient, createWalletClient, defineChain, http, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Wallet } from './deploy.js';
import { rpcUnreachable } from './errors/rpc.js';

/**
 * Clients for one RPC endpoint (any EVM chain: the chain id is read from it); wallets are made
 * per private key. Requests time out after `timeoutMs` and are retried by viem with backoff; an
 * endpoint that does not answer is an {@link RpcUnreachableError} naming the URL.
 *
 * @example
 * const { publicClient, wallet } = await connect('http://127.0.0.1:8545')
 * const operator = wallet(process.env.VERITY_PRIVATE_KEY as Hex)
 */
export async function connect(rpcUrl: string, options: { pollingInterval?: number; timeoutMs?: number } = {}): Promise<{ publicClient: PublicClient; wallet: (key: Hex) => Wallet; chainId: number }> {
  const transport = () => http(rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: 3 });
  const probe = createPublicClient({ transport: transport() });
  const id = await probe.getChainId().catch((e: unknown) => {
    throw rpcUnreachable(e) ?? e;
  });
  const chain = defineChain({ id, name: `chain-${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  const pollingInterval = options.pollingInterval ?? 100;
  const publicClient = createPublicClient({ chain, transport: transport(), pollingInterval }) as PublicClient;
  return {
    publicClient,
    chainId: id,
    wallet: (key) => createWalletClient({ chain, account: privateKeyToAccount(key), transport: transport(), pollingInterval }),
  };
}
