// client.quote with the request itself: the fee, the request's simulated gas (checked against
// the mined request) and the expected gas of the answer, sending nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { keccak256, toHex, type Hex, type PublicClient } from 'viem';
import {
  ANSWER_GAS, ContractRevertError, createVerityClient, deployVerity, registerAgreedModel, serveModels, stakeNode, type VerityAddresses, type Wallet,
} from '@verity/sdk';
import { startAnvil, type Anvil } from '../../cli/src/anvil.js';
import { anvilKey, connect } from '../../cli/src/chain.js';

let anvil: Anvil;
let publicClient: PublicClient;
let user: Wallet;
let addresses: VerityAddresses;
let modelId: Hex;

before(async () => {
  anvil = await startAnvil();
  const c = await connect(anvil.rpcUrl);
  publicClient = c.publicClient;
  const admin = c.wallet(anvilKey(0));
  user = c.wallet(anvilKey(3));
  addresses = await deployVerity(publicClient, admin);
  ({ modelId } = await registerAgreedModel(publicClient, c.wallet(anvilKey(1)), {
    registry: addresses.registry, committee: addresses.committee!, name: 'judge', fee: 10n ** 15n, commitment: keccak256(toHex('judge')),
    rule: { criterion: 'Label', labels: ['yes', 'no'], instructions: 'Yes or no?' },
  }));
  // Seven servers: the draw reads two more stakes than the measured five-operator network.
  for (let i = 10; i < 17; i++) {
    const op = c.wallet(anvilKey(i));
    await publicClient.waitForTransactionReceipt({ hash: await admin.sendTransaction({ to: op.account.address, value: 2n * 10n ** 18n, chain: null }) });
    await stakeNode(publicClient, op, { nodes: addresses.nodes, stake: 10n ** 18n, name: `v${i}` });
    await serveModels(publicClient, op, { nodes: addresses.nodes, modelIds: [modelId] });
  }
});
after(async () => {
  await anvil?.stop();
});

test('client.quote of a request: fee, simulated request gas within 1% of the mined one, expected answer gas; nothing sent', async () => {
  const client = createVerityClient({ publicClient, wallet: user, addresses });
  const input = toHex('Is it good?');
  const nonce = await publicClient.getTransactionCount({ address: user.account.address });
  const q = await client.quote({ modelId, input, callbackGasLimit: 100_000 });
  assert.equal(await publicClient.getTransactionCount({ address: user.account.address }), nonce, 'nothing sent');
  assert.equal(q.mode, 'agreed');
  assert.equal(q.fee, await client.quote(modelId, 100_000), 'the fee is the contract\'s quote');
  assert.deepEqual(q.answerGas, { expected: ANSWER_GAS.agreed + 2n * ANSWER_GAS.agreedPerExtraOperator + 100_000n, onChainBallots: ANSWER_GAS.agreedOnChainBallots + 2n * ANSWER_GAS.agreedPerExtraOperator + 100_000n });
  assert.equal(q.requestCost, q.requestGas * q.gasPrice);
  const { receipt } = await client.request({ modelId, input, callbackGasLimit: 100_000, value: q.fee });
  const off = Number(q.requestGas - receipt.gasUsed) / Number(receipt.gasUsed);
  assert.ok(off >= 0 && off < 0.01, `estimated ${q.requestGas}, used ${receipt.gasUsed}`);
});

test('client.quote of a request for an unknown model is the decoded revert', async () => {
  const client = createVerityClient({ publicClient, wallet: user, addresses });
  await assert.rejects(client.quote({ modelId: keccak256(toHex('nobody')), input: '0x01', callbackGasLimit: 0 }), (e: unknown) => e instanceof ContractRevertError && e.errorName === 'UnknownModel');
});
