import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Hex, PublicClient } from 'viem';
import {
  ContractRevertError, coprocessorAbi, createVerityClient, modelRegistryAbi, serveModels, stakeNode, decodeRevert, deployVerity, requestBinding, toSolidityProof,
  type VerityAddresses, type VerityClient, type Wallet,
} from '@verity/sdk';
import { compileModel, encodeInputBytes, inferQuantized, loadCompiled, NATIVE_PROVER_BIN, nativeProverBuilt, Prover, quantizeInput, releaseCurves, weightSignals, type CompiledModel } from '@verity/zkml';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { startNode } from '@verity/node';
import pino from 'pino';
import { TINY_ONNX, tinyCompiled, tinySamples } from '../../zkml/test/fixtures.js';
import { keepMining, startAnvil, type Anvil } from '../src/anvil.js';
import { anvilKey, connect } from '../src/chain.js';
import { registerCompiled } from '../src/models.js';

let anvil: Anvil;
let stopMining: (() => Promise<void>) | undefined;
let publicClient: PublicClient;
let admin: Wallet, owner: Wallet, nodeA: Wallet, nodeB: Wallet, user: Wallet;
let addresses: VerityAddresses;
let compiled: CompiledModel;
let prover: Prover;
let modelId: Hex;
let client: VerityClient;
let chainId: number;
const CB_GAS = 100_000;

before(async () => {
  anvil = await startAnvil();
  // Blocks keep coming while the chain is idle: a request is drawn from its block's hash in a later block.
  stopMining = keepMining(anvil.rpcUrl, { busyMs: 500, idleMs: 500, idleAfterMs: 0 });
  const c = await connect(anvil.rpcUrl);
  publicClient = c.publicClient;
  [admin, owner, nodeA, nodeB, user] = [0, 1, 2, 3, 4].map((i) => c.wallet(anvilKey(i))) as [Wallet, Wallet, Wallet, Wallet, Wallet];
  chainId = await publicClient.getChainId();
  // No exclusive window here: these tests are about proofs and bindings (assignment has forge tests).
  addresses = await deployVerity(publicClient, admin, { assignmentWindow: 0n });
  for (const [w, name] of [[nodeA, 'a'], [nodeB, 'b']] as const) await stakeNode(publicClient, w, { nodes: addresses.nodes, stake: 10n ** 18n, name });
  compiled = (await tinyCompiled()).compiled;
  prover = await Prover.load(compiled.dir);
  ({ modelId } = await registerCompiled(publicClient, owner, { registry: addresses.registry, compiled, name: 'tiny', fee: 10n ** 15n }));
  await serve(modelId);
  client = createVerityClient({ publicClient, wallet: user, addresses });
});

after(async () => {
  await stopMining?.();
  await anvil?.stop();
  await releaseCurves();
});

/** Both nodes opt in to a model: only serving nodes may fulfil its requests. */
async function serve(id: Hex) {
  for (const w of [nodeA, nodeB]) await serveModels(publicClient, w, { nodes: addresses.nodes, modelIds: [id] });
}

const inputOf = (x: number[]) => encodeInputBytes(compiled.report.layout, quantizeInput(compiled.model, x));

async function newRequest(x = tinySamples(1, 21)[0]!): Promise<bigint> {
  const fee = await client.quote(modelId, CB_GAS);
  return (await client.request({ modelId, input: inputOf(x), callbackGasLimit: CB_GAS, value: fee })).requestId;
}

async function proofFor(requestId: bigint, prover_: Wallet, x = tinySamples(1, 21)[0]!) {
  const binding = requestBinding({ chainId, coprocessor: addresses.coprocessor, requestId, prover: prover_.account.address });
  const p = await prover.prove({ input: x }, binding);
  return { words: p.publicSignals.slice(0, compiled.report.layout.outputWords).map(BigInt), proof: toSolidityProof(p.proof) };
}

async function fulfil(wallet: Wallet, requestId: bigint, p: { words: bigint[]; proof: ReturnType<typeof toSolidityProof> }) {
  try {
    const { request } = await publicClient.simulateContract({
      account: wallet.account, address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'fulfill', args: [requestId, p.words, p.proof],
    });
    return await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
  } catch (e) {
    throw decodeRevert(e);
  }
}

const revertedWith = (name: string, args?: unknown[]) => (e: unknown) =>
  e instanceof ContractRevertError && e.errorName === name && (args === undefined || JSON.stringify(e.args, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(args, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));

/** How many native prover processes this process has running (its children running the binary). */
function nativeProverChildren(): number {
  return readdirSync('/proc').filter((pid) => {
    try {
      const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
      return ppid === String(process.pid) && readlinkSync(`/proc/${pid}/exe`) === realpathSync(NATIVE_PROVER_BIN);
    } catch {
      return false; // not a process, gone, or a zombie
    }
  }).length;
}

test('a node proves a request and the answer arrives on chain (request -> proof -> verified fulfilment); its stop ends its prover process', async () => {
  const before = nativeProverChildren();
  const node = await startNode({ publicClient, wallet: nodeA, coprocessor: addresses.coprocessor, models: [{ modelId, dir: compiled.dir }], pollMs: 100, logger: pino({ level: 'silent' }) });
  try {
    const x = tinySamples(1, 33)[0]!;
    const requestId = await newRequest(x);
    const result = await client.waitForResult(requestId, { timeoutMs: 60_000 });
    assert.equal(result.node, nodeA.account.address);
    assert.deepEqual(result.outputs, inferQuantized(compiled.model, quantizeInput(compiled.model, x)));
    const r = await client.getRequest(requestId);
    assert.equal(r.status, 2); // Fulfilled
    if (nativeProverBuilt()) assert.equal(nativeProverChildren(), before + 1, 'the node holds one warm native prover for its model');
  } finally {
    await node.stop();
  }
  assert.equal(nativeProverChildren(), before, 'stop() ended it');
});

test('secret weights (--weights committed): a node proves with them, a proof made with other weights is rejected', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'verity-e2e-')), 'secret');
  await compileModel(TINY_ONNX, { out: dir, calibration: tinySamples(16), weights: 'committed', backend: 'circom' });
  const secret = loadCompiled(dir);
  const { modelId: secretId } = await registerCompiled(publicClient, owner, { registry: addresses.registry, compiled: secret, name: 'tiny-secret', fee: 10n ** 15n });
  await serve(secretId);
  assert.equal((await publicClient.readContract({ address: addresses.registry, abi: modelRegistryAbi, functionName: 'getModel', args: [secretId] })).weightsCommitment, BigInt(secret.report.weights!.commitment));
  const x = tinySamples(1, 35)[0]!;
  const input = encodeInputBytes(secret.report.layout, quantizeInput(secret.model, x));
  const ask = async () => (await client.request({ modelId: secretId, input, callbackGasLimit: CB_GAS, value: await client.quote(secretId, CB_GAS) })).requestId;

  // Other weights: a valid Groth16 proof for this circuit, but under another commitment.
  const forged = await ask();
  const other = structuredClone(secret.model);
  const step = other.steps.find((s) => s.kind === 'requant' && s.weights)!;
  if (step.kind !== 'requant') throw new Error('unreachable');
  step.forms[0]!.k[0]! += 1n;
  const honest = await Prover.load(dir);
  const binding = requestBinding({ chainId, coprocessor: addresses.coprocessor, requestId: forged, prover: nodeB.account.address });
  const inputs = { ...honest.circuitInputs(quantizeInput(secret.model, x), binding), ...weightSignals(other, true) };
  const wtns = join(dir, 'other.wtns');
  await snarkjs.wtns.calculate(inputs, secret.path('wasm'), wtns);
  const { proof, publicSignals } = await snarkjs.groth16.prove(secret.path('zkey'), wtns);
  const words = publicSignals.slice(0, secret.report.layout.outputWords).map(BigInt);
  await assert.rejects(fulfil(nodeB, forged, { words, proof: toSolidityProof(proof) }), revertedWith('InvalidProof', [forged]));

  const node = await startNode({ publicClient, wallet: nodeA, coprocessor: addresses.coprocessor, models: [{ modelId: secretId, dir }], pollMs: 100, logger: pino({ level: 'silent' }) });
  try {
    const requestId = await ask();
    const result = await client.waitForResult(requestId, { timeoutMs: 60_000 });
    assert.deepEqual(result.outputs, inferQuantized(secret.model, quantizeInput(secret.model, x)));
  } finally {
    await node.stop();
  }
});

test('a proof for one request cannot fulfil another request', async () => {
  const first = await newRequest();
  const second = await newRequest();
  const p = await proofFor(first, nodeA);
  await assert.rejects(fulfil(nodeA, second, p), revertedWith('InvalidProof', [second]));
  const receipt = await fulfil(nodeA, first, p);
  assert.equal(receipt.status, 'success');
});

test('a proof copied from the mempool cannot be submitted by another sender', async () => {
  const id = await newRequest();
  const p = await proofFor(id, nodeA);
  await assert.rejects(fulfil(nodeB, id, p), revertedWith('InvalidProof', [id]));
});

test('a proof on another input than the committed one is rejected', async () => {
  const id = await newRequest(tinySamples(1, 21)[0]!);
  const p = await proofFor(id, nodeA, tinySamples(1, 22)[0]!);
  await assert.rejects(fulfil(nodeA, id, p), revertedWith('InvalidProof', [id]));
});

test('a public output aliased by the field modulus (x + p) is rejected by the Solidity verifier', async () => {
  const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
  const id = await newRequest();
  const p = await proofFor(id, nodeA);
  await assert.rejects(fulfil(nodeA, id, { ...p, words: p.words.map((w, i) => (i === 0 ? w + FIELD : w)) }), revertedWith('InvalidProof', [id]));
  assert.equal((await fulfil(nodeA, id, p)).status, 'success');
});

test('a request is fulfilled at most once', async () => {
  const id = await newRequest();
  const p = await proofFor(id, nodeA);
  await fulfil(nodeA, id, p);
  await assert.rejects(fulfil(nodeA, id, p), revertedWith('RequestNotPending', [id, 2]));
});

test('bad requests get typed errors: unknown model, underpaid, wrong input shape', async () => {
  const unknown = `0x${'ab'.repeat(32)}` as Hex;
  await assert.rejects(client.quote(unknown, CB_GAS), revertedWith('UnknownModel', [unknown]));
  await assert.rejects(client.request({ modelId: unknown, input: '0x00', callbackGasLimit: CB_GAS, value: 10n ** 18n }), revertedWith('UnknownModel', [unknown]));
  const fee = await client.quote(modelId, CB_GAS);
  await assert.rejects(
    client.request({ modelId, input: inputOf(tinySamples(1)[0]!), callbackGasLimit: CB_GAS, value: fee - 1n }),
    revertedWith('InsufficientFee', [fee, fee - 1n]),
  );
  await assert.rejects(client.request({ modelId, input: '0x0102', callbackGasLimit: CB_GAS, value: fee }), revertedWith('InputLengthMismatch', [modelId, 8n, 2n]));
});
