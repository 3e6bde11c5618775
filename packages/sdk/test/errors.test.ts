// The sdk's refusals that come before any RPC: each a named class, with the values that explain it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPublicClient, http, type PublicClient } from 'viem';
import { BaseError, createVerityClient, InvalidRuleError, NoCommitteeError, registerAgreedModel, WalletRequiredError, type VerityAddresses, type Wallet } from '../src/index.js';

// Port 9 (discard): nothing answers, and no test below reaches it.
const publicClient = createPublicClient({ transport: http('http://127.0.0.1:9') }) as PublicClient;
const addresses: VerityAddresses = {
  poseidon: '0x0000000000000000000000000000000000000001', registry: '0x0000000000000000000000000000000000000002',
  nodes: '0x0000000000000000000000000000000000000003', coprocessor: '0x0000000000000000000000000000000000000004',
};

test('a client without a wallet refuses to send (WalletRequiredError); one without a committee refuses agreed mode (NoCommitteeError)', async () => {
  const verity = createVerityClient({ publicClient, addresses });
  await assert.rejects(verity.request({ modelId: `0x${'11'.repeat(32)}`, input: '0x01', callbackGasLimit: 100_000, value: 0n }), WalletRequiredError);
  await assert.rejects(verity.agreedResult(1n), (e: unknown) => e instanceof NoCommitteeError && e instanceof BaseError);
});

test('a Label rule with fewer than two labels is refused before any transaction (InvalidRuleError)', async () => {
  await assert.rejects(
    registerAgreedModel(publicClient, {} as Wallet, {
      registry: addresses.registry, committee: addresses.coprocessor, name: 'x', fee: 0n, commitment: `0x${'00'.repeat(32)}`,
      rule: { criterion: 'Label', labels: ['only'], instructions: 'pick' },
    }),
    (e: unknown) => e instanceof InvalidRuleError && e.criterion === 'Label',
  );
});
