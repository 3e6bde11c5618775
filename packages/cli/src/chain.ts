import { bytesToHex, createPublicClient, createWalletClient, defineChain, http, type Hex, type PublicClient } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import type { Wallet } from '@verity/sdk';

/** anvil's default mnemonic (public knowledge: never hold real funds with it). */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Private key of anvil's default account `index`. */
export function anvilKey(index: number): Hex {
  const key = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!;
  return bytesToHex(key);
}

/** Clients for one RPC endpoint; wallets are made per key. */
export async function connect(rpcUrl: string): Promise<{ publicClient: PublicClient; wallet: (key: Hex) => Wallet }> {
  const probe = createPublicClient({ transport: http(rpcUrl) });
  const id = await probe.getChainId();
  const chain = defineChain({ id, name: `chain-${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient;
  return {
    publicClient,
    wallet: (key) => createWalletClient({ chain, account: privateKeyToAccount(key), transport: http(rpcUrl), pollingInterval: 100 }),
  };
}
