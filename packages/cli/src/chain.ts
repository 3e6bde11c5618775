import { bytesToHex, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
export { connect } from '@verity/sdk';

/** anvil's default mnemonic (public knowledge: never hold real funds with it). */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Private key of anvil's default account `index`. */
export function anvilKey(index: number): Hex {
  const key = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!;
  return bytesToHex(key);
}
