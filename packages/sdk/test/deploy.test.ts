// The sdk against a real anvil: deployment with bounded, timelocked parameters; model
// registration from a compiled report (and its refusals); operators opting in; bounded log reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { keccak256, toHex, type Hex, type PublicClient } from 'viem';
import {
  AdminDelayError, committeeAbi, committeeParametersChange, ContractRevertError, coprocessorAbi, coprocessorParametersChange, createVerityClient, DEFAULT_ADMIN_DELAY,
  DEFAULT_UNBONDING_PERIOD, deployVerity, DevSetupError, executeChange, findLatestLog, getLogsBounded, modelRegistryAbi, nodeParametersChange, nodeRegistryAbi,
  registerAgreedModel, registerProvedModel, scheduleChange, serveModels, stakeNode, stopServing, UnpinnedWeightsError, UnsupportedVisibilityError, updateProvedModel,
  versionSpecOf, type CompiledModelReport, type VerityAddresses, type Wallet,
} from '@verity/sdk';
import { releaseCurves, type CompiledModel } from '@verity/zkml';
import { tinyCompiled } from '../../zkml/test/fixtures.js';
import { startAnvil, type Anvil } from '../../cli/src/anvil.js';
import { anvilKey, connect } from '../../cli/src/chain.js';

let anvil: Anvil;
let publicClient: PublicClient;
let admin: Wallet, owner: Wallet, op: Wallet, user: Wallet;
let addresses: VerityAddresses;
let compiled: CompiledModel;
const rpc = (method: string, params: unknown[]) => publicClient.request({ method: method as never, params: params as never });
const verifierBuild = () => JSON.parse(readFileSync(compiled.path('verifierBuild'), 'utf8')) as { abi: unknown[]; bytecode: Hex };
const revert = (errorName: string) => (e: unknown) => e instanceof ContractRevertError && e.errorName === errorName;

before(async () => {
  anvil = await startAnvil();
  const c = await connect(anvil.rpcUrl);
  publicClient = c.publicClient;
  [admin, owner, op, user] = [0, 1, 2, 3].map((i) => c.wallet(anvilKey(i))) as [Wallet, Wallet, Wallet, Wallet];
  ({ compiled } = await tinyCompiled());
  addresses = await deployVerity(publicClient, admin);
});
after(async () => {
  await anvil?.stop();
  await releaseCurves();
});

test('deployVerity: default delays let operators leave before any admin change; contracts wired once', async () => {
  const read = (address: Hex, functionName: string) => publicClient.readContract({ address, abi: coprocessorAbi, functionName } as never) as Promise<bigint>;
  assert.equal(await read(addresses.coprocessor, 'adminDelay'), DEFAULT_ADMIN_DELAY);
  assert.equal(await read(addresses.committee!, 'adminDelay'), DEFAULT_ADMIN_DELAY);
  assert.equal(await read(addresses.nodes, 'adminDelay'), DEFAULT_ADMIN_DELAY);
  assert.equal(await publicClient.readContract({ address: addresses.nodes, abi: nodeRegistryAbi, functionName: 'unbondingPeriod' }), DEFAULT_UNBONDING_PERIOD);
  assert.ok(DEFAULT_ADMIN_DELAY > DEFAULT_UNBONDING_PERIOD);
  assert.equal(await publicClient.readContract({ address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'committee' }), addresses.committee);
  assert.equal(await publicClient.readContract({ address: addresses.committee!, abi: committeeAbi, functionName: 'coprocessor' }), addresses.coprocessor);
  for (const slasher of [addresses.coprocessor, addresses.committee!]) {
    assert.equal(await publicClient.readContract({ address: addresses.nodes, abi: nodeRegistryAbi, functionName: 'isSlasher', args: [slasher] }), true);
  }
  const p = await publicClient.readContract({ address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'parameters' });
  assert.equal(p.treasury, admin.account.address, 'the deployer is the treasury by default');
  assert.equal(p.assignmentWindow, 30n);
  // The one-shot wiring cannot be redone.
  await assert.rejects(
    publicClient.simulateContract({ account: admin.account, address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'initCommittee', args: [admin.account.address] }),
    (e: unknown) => e instanceof Error,
  );
});

test('deployVerity refuses an admin delay not longer than the unbonding period off devnets, and names a parameter out of bounds', async () => {
  const mainnet = { getChainId: async () => 1 } as unknown as PublicClient;
  await assert.rejects(deployVerity(mainnet, admin, { adminDelay: 3_600n }), (e: unknown) => e instanceof AdminDelayError && e.adminDelay === 3_600n && e.unbondingPeriod === DEFAULT_UNBONDING_PERIOD && e.chainId === 1);
  await assert.rejects(deployVerity(publicClient, admin, { adminDelay: 3_600n, coprocessor: { requestTimeout: 1n } }), (e: unknown) => revert('InvalidParameter')(e) && (e as ContractRevertError).args[0] === 'requestTimeout');
});

test('a parameter change waits the admin delay: scheduled, refused before readyAt, executed after (evm_increaseTime)', async () => {
  const short = await deployVerity(publicClient, admin, { adminDelay: 3_600n, unbondingPeriod: 60n });
  const change = await committeeParametersChange(publicClient, short.committee!, { windows: { propose: 30, commit: 30, reveal: 30, appeal: 1 } });
  const { readyAt } = await scheduleChange(publicClient, admin, change);
  await assert.rejects(executeChange(publicClient, admin, change), revert('ChangeNotReady'));
  await rpc('evm_increaseTime', [3_601]);
  await rpc('anvil_mine', ['0x1']);
  assert.ok(BigInt((await publicClient.getBlock()).timestamp) >= readyAt);
  await executeChange(publicClient, admin, change);
  const p = await publicClient.readContract({ address: short.committee!, abi: committeeAbi, functionName: 'parameters' });
  assert.deepEqual([p.proposeWindow, p.commitWindow, p.revealWindow, p.appealWindow], [30n, 30n, 30n, 1n]);
  assert.equal(p.committeeSize, 5, 'the others kept');
  await assert.rejects(executeChange(publicClient, admin, change), revert('ChangeNotScheduled'), 'executed once');
  // Out of bounds: refused when executed, with the setter's error.
  const bad = await coprocessorParametersChange(publicClient, short.coprocessor, { missSlash: 10n ** 18n });
  await scheduleChange(publicClient, admin, bad);
  await rpc('evm_increaseTime', [3_601]);
  await rpc('anvil_mine', ['0x1']);
  await assert.rejects(executeChange(publicClient, admin, bad), (e: unknown) => revert('InvalidParameter')(e) && (e as ContractRevertError).args[0] === 'missSlash');
  const nodes = await nodeParametersChange(publicClient, short.nodes, { minStake: 2n * 10n ** 18n });
  await scheduleChange(publicClient, admin, nodes);
  await rpc('evm_increaseTime', [3_601]);
  await rpc('anvil_mine', ['0x1']);
  await executeChange(publicClient, admin, nodes);
  assert.equal(await publicClient.readContract({ address: short.nodes, abi: nodeRegistryAbi, functionName: 'minStake' }), 2n * 10n ** 18n);
  assert.equal(await publicClient.readContract({ address: short.nodes, abi: nodeRegistryAbi, functionName: 'unbondingPeriod' }), 60n, 'the other kept');
});

test('versionSpecOf reads the pinning and the setup kind from report.json, and refuses unpinned weights, dev setups off devnets and uncommitted inputs', () => {
  const report = compiled.report as unknown as CompiledModelReport;
  const verifier = '0x00000000000000000000000000000000000000aa';
  const spec = versionSpecOf(report, { verifier, chainId: 31337 });
  assert.equal(spec.pinning, 'VerifyingKey');
  assert.equal(spec.setup, 'Dev', 'the test models use the dev setup');
  assert.equal(spec.weightsCommitment, 0n);
  assert.equal(spec.commitment, report.modelCommitment);
  assert.throws(() => versionSpecOf({ ...report, weightEncoding: 'signals' }, { verifier, chainId: 31337 }), (e: unknown) => e instanceof UnpinnedWeightsError && e.encoding === 'signals');
  assert.throws(() => versionSpecOf(report, { verifier, chainId: 11155111 }), (e: unknown) => e instanceof DevSetupError && e.chainId === 11155111);
  assert.equal(versionSpecOf(report, { verifier, chainId: 11155111, allowDevSetup: true }).setup, 'Dev', 'allowed explicitly, and recorded as Dev');
  const ceremony = { ...report, setup: { ...report.setup, ptau: 'ceremony' as const, insecure: false } };
  assert.equal(versionSpecOf(ceremony, { verifier, chainId: 1 }).setup, 'Ceremony');
  const committed = { ...report, weightEncoding: 'committed' as const, weights: { commitment: '0x1234' } };
  assert.deepEqual([versionSpecOf(committed, { verifier, chainId: 1337 }).pinning, versionSpecOf(committed, { verifier, chainId: 1337 }).weightsCommitment], ['Commitment', 0x1234n]);
  assert.throws(() => versionSpecOf({ ...report, layout: { ...report.layout, inputVisibility: 'public' } }, { verifier, chainId: 31337 }), UnsupportedVisibilityError);
});

test('registerProvedModel deploys the verifier and records pinning and setup; a dev setup is refused on a non-devnet chain before anything is deployed; updates wait the upgrade delay', async () => {
  const report = compiled.report as unknown as CompiledModelReport;
  const { modelId, verifier } = await registerProvedModel(publicClient, owner, { registry: addresses.registry, name: 'tiny', fee: 10n ** 15n, report, verifierBuild: verifierBuild() });
  const m = await publicClient.readContract({ address: addresses.registry, abi: modelRegistryAbi, functionName: 'getModel', args: [modelId] });
  assert.deepEqual([m.verifier, m.pinning, m.setup, m.version, m.owner], [verifier, 1, 0, 1, owner.account.address]);
  await assert.rejects(
    registerProvedModel(publicClient, owner, { registry: addresses.registry, name: 'tiny-signals', fee: 0n, report: { ...report, weightEncoding: 'signals' }, verifier }),
    UnpinnedWeightsError,
  );
  const nonce = await publicClient.getTransactionCount({ address: owner.account.address });
  await rpc('anvil_setChainId', [11155111]);
  try {
    await assert.rejects(registerProvedModel(publicClient, owner, { registry: addresses.registry, name: 'tiny-2', fee: 0n, report, verifierBuild: verifierBuild() }), DevSetupError);
  } finally {
    await rpc('anvil_setChainId', [31337]);
  }
  assert.equal(await publicClient.getTransactionCount({ address: owner.account.address }), nonce, 'no verifier deployed for a refused model');

  const client = createVerityClient({ publicClient, addresses });
  const next = await registerProvedModel(publicClient, owner, { registry: addresses.registry, name: 'tiny-next', fee: 0n, report, verifierBuild: verifierBuild() });
  const { version, activeFrom } = await updateProvedModel(publicClient, owner, { registry: addresses.registry, modelId, report, verifier: next.verifier });
  assert.equal(version, 2);
  assert.deepEqual(await client.pendingUpdate(modelId), { version: 2, activeFrom }, 'consumers see the upgrade before it applies');
  assert.equal((await client.getModel(modelId)).verifier, verifier, 'version 1 still in effect');
});

test('stakeNode with models, serveModels and stopServing opt an operator in and out; a request for a model nobody serves is refused (NoServer)', async () => {
  const report = compiled.report as unknown as CompiledModelReport;
  const { modelId } = await registerProvedModel(publicClient, owner, { registry: addresses.registry, name: 'tiny-serve', fee: 0n, report, verifierBuild: verifierBuild() });
  const client = createVerityClient({ publicClient, wallet: user, addresses });
  const input = `0x${'01'.repeat(compiled.report.layout.inputCount * compiled.report.layout.inputWidth)}` as Hex;
  const fee = await client.quote(modelId, 0);
  await assert.rejects(client.request({ modelId, input, callbackGasLimit: 0, value: fee }), revert('NoServer'));
  await stakeNode(publicClient, op, { nodes: addresses.nodes, stake: 10n ** 18n, name: 'op', models: [modelId] });
  const canServe = () => publicClient.readContract({ address: addresses.nodes, abi: nodeRegistryAbi, functionName: 'canServe', args: [op.account.address, modelId] });
  assert.equal(await canServe(), true);
  assert.deepEqual(await serveModels(publicClient, op, { nodes: addresses.nodes, modelIds: [modelId] }), [], 'already served: nothing sent');
  const { requestId } = await client.request({ modelId, input, callbackGasLimit: 0, value: fee, version: 1 });
  assert.ok(requestId > 0n);
  await assert.rejects(client.request({ modelId, input, callbackGasLimit: 0, value: fee, version: 7 }), (e: unknown) => revert('ModelVersionMismatch')(e) && (e as ContractRevertError).args[1] === 7);
  assert.deepEqual(await stopServing(publicClient, op, { nodes: addresses.nodes, modelIds: [modelId] }), [modelId]);
  assert.equal(await canServe(), false);
});

test('agreed models register with no pinning; bounded log reads match one unbounded read, in ranges of any size', async () => {
  const { modelId } = await registerAgreedModel(publicClient, owner, {
    registry: addresses.registry, committee: addresses.committee!, name: 'judge', fee: 0n, commitment: keccak256(toHex('judge')),
    rule: { criterion: 'Label', labels: ['yes', 'no'], instructions: 'Yes or no?' },
  });
  const m = await publicClient.readContract({ address: addresses.registry, abi: modelRegistryAbi, functionName: 'getModel', args: [modelId] });
  assert.equal(m.pinning, 0);
  const all = await publicClient.getContractEvents({ address: addresses.registry, abi: modelRegistryAbi, eventName: 'ModelRegistered', fromBlock: 0n, strict: true });
  assert.ok(all.length >= 3);
  for (const maxRange of [1n, 2n, 7n, 1000n]) {
    const bounded = await getLogsBounded(publicClient, { address: addresses.registry, abi: modelRegistryAbi, eventName: 'ModelRegistered', fromBlock: 1n, maxRange });
    assert.deepEqual(bounded.map((l) => l.args.modelId), all.map((l) => l.args.modelId), `maxRange ${maxRange}`);
    const latest = await findLatestLog(publicClient, { address: addresses.registry, abi: modelRegistryAbi, eventName: 'ModelRegistered', fromBlock: 1n, maxRange });
    assert.equal(latest?.args.modelId, all.at(-1)!.args.modelId);
  }
  const first = all[0]!;
  assert.equal((await findLatestLog(publicClient, { address: addresses.registry, abi: modelRegistryAbi, eventName: 'ModelRegistered', args: { modelId: first.args.modelId }, fromBlock: 1n, maxRange: 3n }))?.blockNumber, first.blockNumber);
  assert.equal(await findLatestLog(publicClient, { address: addresses.registry, abi: modelRegistryAbi, eventName: 'ModelRegistered', fromBlock: 1n, toBlock: first.blockNumber - 1n, maxRange: 2n }), undefined, 'none before the first');
});
