// `verity deploy`, `verity register` and `verity request` against a real chain (anvil), with a
// node serving the requests; user mistakes get one readable line naming the problem.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { ANSWER_GAS, coprocessorAbi, updateProvedModel } from '@verity/sdk';
import { privateKeyToAddress } from 'viem/accounts';
import { compileCached, readSamplesFile, releaseCurves, type CompiledModel } from '@verity/zkml';
import { LexiconProvider, startNode, type VerityNode } from '@verity/node';
import { creditModel } from '@verity/models/credit';
import { TINY_ONNX, tinySamples } from '../../zkml/test/fixtures.js';
import { keepMining, startAnvil, type Anvil } from '../src/anvil.js';
import { anvilKey, connect } from '../src/chain.js';
import type { Deployment } from '../src/commands.js';
import { agreedRequestGas } from '../src/models.js';
import type { ModelView, RequestView } from '@verity/explorer';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'verity.mjs');
const dir = mkdtempSync(join(tmpdir(), 'verity-commands-'));
const deployment = join(dir, 'deployment.json');
let anvil: Anvil;
let stopMining: (() => Promise<void>) | undefined;
let compiled: CompiledModel;
const nodes: VerityNode[] = [];
/** registered by the second test, read by the explorer's */
let creditId: `0x${string}`, judgeId: `0x${string}`;

/** Runs the CLI; resolves with its exit code and output (never rejects). */
function verity(args: string[], key = anvilKey(0)): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, VERITY_PRIVATE_KEY: key } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

before(async () => {
  anvil = await startAnvil();
  // Blocks keep coming while the chain is idle: a request is drawn from its block's hash in a later block.
  stopMining = keepMining(anvil.rpcUrl, { busyMs: 500, idleMs: 500, idleAfterMs: 0 });
  ({ compiled } = await compileCached('credit', readFileSync(creditModel.path), { calibration: readSamplesFile(readFileSync(creditModel.calibration, 'utf8')) }));
});

after(async () => {
  await stopMining?.();
  for (const n of nodes) await n.stop();
  await anvil?.stop();
  await releaseCurves();
});

test('verity deploy --rpc deploys every contract and writes the deployment file', async () => {
  // The committee's windows are the defaults (minutes): shorter ones for the test.
  const r = await verity(['deploy', '--rpc', anvil.rpcUrl, '--out', deployment, '--windows', '30,30,30,1']);
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(readFileSync(deployment, 'utf8')) as Deployment;
  assert.equal(d.chainId, 31337);
  assert.deepEqual(d.parameters, { adminDelay: String(8 * 86_400), unbondingPeriod: String(7 * 86_400), upgradeDelay: String(2 * 86_400) });
  assert.match(r.stdout, /admin changes wait 8 d, unbonding takes 7 d, model updates wait 2 d/);
  const { publicClient } = await connect(anvil.rpcUrl);
  for (const name of ['coprocessor', 'registry', 'nodes', 'committee', 'poseidon'] as const) {
    assert.match(r.stdout, new RegExp(`${name}\\s+${d.addresses[name]}`));
    assert.ok(((await publicClient.getCode({ address: d.addresses[name]! })) ?? '0x').length > 2, `${name} has code`);
  }
});

test('verity register (proved and agreed), then verity request gets each answered by a node', async () => {
  const reg = await verity(['register', compiled.dir, '--name', 'credit-score', '--fee', '0.001', '--deployment', deployment], anvilKey(1));
  assert.equal(reg.status, 0, reg.stderr);
  const modelId = /as (0x[0-9a-f]{64})/.exec(reg.stdout)![1]! as `0x${string}`;
  creditId = modelId;
  assert.ok(reg.stdout.includes(`${compiled.report.constraints} constraints`), `the compiled count: ${reg.stdout}`);
  assert.match(reg.stdout, /^warning: INSECURE DEV SETUP/m, 'a dev setup on a devnet: registered with a warning');
  assert.match(reg.stdout, /version 1; weights pinned by the verifying key; insecure dev setup/);
  const agreed = await verity(['register', '--agreed', '--name', 'judge', '--fee', '0.001', '--labels', 'yes,no', '--instructions', 'Answer yes or no.', '--deployment', deployment], anvilKey(1));
  assert.equal(agreed.status, 0, agreed.stderr);
  judgeId = /as (0x[0-9a-f]{64})/.exec(agreed.stdout)![1]! as `0x${string}`;

  // Three staked nodes serve both models.
  const d = JSON.parse(readFileSync(deployment, 'utf8')) as Deployment;
  const { publicClient, wallet } = await connect(anvil.rpcUrl);
  for (const i of [2, 4, 5]) {
    const w = wallet(anvilKey(i));
    const staked = await verity(['node', 'stake', '--stake', '1', '--name', `node-${i}`, '--deployment', deployment], anvilKey(i));
    assert.match(staked.stdout, new RegExp(`${w.account.address} \\(node-${i}\\) has 1 ETH staked in the NodeRegistry \\(minimum 1\\): active`), staked.stderr);
    const served = await verity(['node', 'serve', modelId, judgeId, '--deployment', deployment], anvilKey(i));
    assert.equal(served.status, 0, served.stderr);
    assert.match(served.stdout, new RegExp(`now serving "credit-score" \\(${modelId}\\)\nnow serving "judge" \\(${judgeId}\\)\n${w.account.address} serves 2 models\n`));
    nodes.push(await startNode({
      publicClient, wallet: w, coprocessor: d.addresses.coprocessor, pollMs: 100, logger: pino({ level: 'silent' }),
      models: [{ modelId: modelId as `0x${string}`, dir: compiled.dir }], agreed: { models: [{ modelId: judgeId, provider: new LexiconProvider() }] },
    }));
  }

  const input = join(dir, 'input.json');
  writeFileSync(input, JSON.stringify([0.6, 0.4, 0.5, 0]));
  const proved = await verity(['request', modelId, '--input', input, '--model-dir', compiled.dir, '--deployment', deployment, '--version', '1'], anvilKey(3));
  assert.equal(proved.status, 0, proved.stderr);
  assert.match(proved.stdout, /^warning: "credit-score" has an insecure dev setup: whoever ran its setup can forge proofs of any answer$/m);
  assert.match(proved.stdout, /request #1 to "credit-score" v1 \(pinned\) \(proved mode; weights pinned by the verifying key; insecure dev setup\)/);
  const score = Number(/answer #1: (-?[\d.]+) \(proved by 0x/.exec(proved.stdout)![1]);
  assert.ok(score > 0.75 && score < 1.1, `a good record scores high: ${score}`);

  const asked = await verity(['request', judgeId, '--text', 'Was it a brilliant, stunning triumph?', '--deployment', deployment], anvilKey(3));
  assert.equal(asked.status, 0, asked.stderr);
  assert.match(asked.stdout, /request #2 to "judge" v1 \(agreed mode\)/);
  // Each committee phase, in order, with what it waits for: the appeal window (1 s here) is the last wait.
  const phases = [
    /^Drawing\s+round 0: the committee is drawn from the hash of a block after \d+$/m,
    /^Propose\s+round 0: 3 members drawn by stake \(0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}(, 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}){2}\); the leader proposes an answer within \d+ s$/m,
    /^Commit\s+leader 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} proposed "yes"; the members commit sealed votes within 30 s$/m,
    /^Reveal\s+the members reveal their votes within 30 s$/m,
    /^Accepted\s+"yes" by round 0; the appeal window closes in [01] s \(\d\d:\d\d:\d\d UTC\): until then anyone may appeal with a bond, then a node finalizes it$/m,
    /^Finalized\s+"yes": the consumer has its answer$/m,
    /^answer #2: yes \(agreed by the committee/m,
  ];
  const at = phases.map((p) => asked.stdout.search(p));
  assert.ok(at.every((i) => i >= 0), `every phase printed:\n${asked.stdout}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, `phases in order:\n${asked.stdout}`);
});

test('verity request --dry-run prints the fee and the expected gas, and sends nothing (the nonce and the request count stay)', async () => {
  const d = JSON.parse(readFileSync(deployment, 'utf8')) as Deployment;
  const { publicClient } = await connect(anvil.rpcUrl);
  const user = privateKeyToAddress(anvilKey(3));
  const state = async () => [
    await publicClient.getTransactionCount({ address: user, blockTag: 'latest' }),
    await publicClient.readContract({ address: d.addresses.coprocessor, abi: coprocessorAbi, functionName: 'requestCount' }),
  ];
  const before = await state();
  const proved = await verity(['request', creditId, '--bytes', '0x80808080', '--dry-run', '--deployment', deployment], anvilKey(3));
  assert.equal(proved.status, 0, proved.stderr);
  assert.match(proved.stdout, /^dry run, nothing sent: a request to "credit-score" v\d+ \(proved mode\)$/m);
  const requestGas = Number(/request ~([\d,]+) gas \(simulated/.exec(proved.stdout)![1]!.replaceAll(',', ''));
  assert.ok(requestGas > 50_000 && requestGas < 1_000_000, `a simulated request: ${requestGas}`);
  assert.match(proved.stdout, /answer ~428,000 gas by a node \(one proof; ~145,000 as its share of a batch of 16; ~39,000 as its share of one proof for 16 requests, when the model has a request-batch verifier\)/);
  const agreed = await verity(['request', judgeId, '--text', 'Was it good?', '--dry-run', '--deployment', deployment], anvilKey(3));
  assert.equal(agreed.status, 0, agreed.stderr);
  assert.match(agreed.stdout, /\(agreed mode\)/);
  // The benchmarks' figures (ANSWER_GAS), for a committee of at most 5 servers and no callback gas.
  const gas = (n: bigint) => n.toLocaleString('en-US');
  assert.ok(agreed.stdout.includes(`answer ~${gas(ANSWER_GAS.agreed)} gas by the committee over its transactions (~${gas(ANSWER_GAS.agreedOnChainBallots)} if members send their own ballots)`), agreed.stdout);
  assert.deepEqual(await state(), before, 'nothing sent');
});

test('verity explorer serves the deployment\'s requests, models (versions, pending updates, pinning, setup) and nodes (served models)', async () => {
  const d = JSON.parse(readFileSync(deployment, 'utf8')) as Deployment;
  const { publicClient, wallet } = await connect(anvil.rpcUrl);
  // The owner schedules version 2: it waits the deployment's upgrade delay (2 days).
  const verifierBuild = JSON.parse(readFileSync(compiled.path('verifierBuild'), 'utf8')) as { abi: unknown[]; bytecode: `0x${string}` };
  const { activeFrom } = await updateProvedModel(publicClient, wallet(anvilKey(1)), { registry: d.addresses.registry, modelId: creditId, report: compiled.report, verifierBuild });
  const child = spawn(process.execPath, [bin, 'explorer', '--deployment', deployment, '--port', '0']);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => { out += d; const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out); if (m) resolve(m[1]!); });
      child.on('close', (code) => reject(new Error(`verity explorer exited ${code}: ${out}`)));
    });
    type State = { requests: RequestView[]; nodes: { models: string[] }[]; models: ModelView[] };
    const state = await (await fetch(`${url}api/state`)).json() as State;
    assert.deepEqual(state.requests.map((r) => [r.model, r.version, r.status]), [['judge', 1, 'Finalized'], ['credit-score', 1, 'Fulfilled']]);
    const [judged, scored] = state.requests as [RequestView, RequestView];
    assert.equal(judged.answer, 'yes');
    // A proved answer reads as the example model's named value; the outputs stay beside it.
    assert.match(scored.answer!, /^score -?\d+\.\d{3}$/);
    assert.equal(scored.answer, `score ${scored.outputs}`);
    // Gas: a proved answer's fulfilment; an agreed answer's every transaction, as verity dev's story counts it.
    assert.equal(scored.gas, (await publicClient.getTransactionReceipt({ hash: scored.fulfilTx! })).gasUsed.toString());
    const requested = (await publicClient.getContractEvents({ address: d.addresses.coprocessor, abi: coprocessorAbi, eventName: 'Requested', fromBlock: BigInt(d.block) }))
      .find((l) => l.args.requestId === BigInt(judged.id))!;
    const all = await agreedRequestGas(publicClient, d.addresses, BigInt(judged.id), requested.transactionHash);
    assert.deepEqual([judged.gas, judged.transactions], [all.gas.toString(), all.transactions]);
    assert.ok(all.transactions >= 5, `the request, a draw, a proposal, commits, reveals and finalisation: ${all.transactions}`);
    assert.equal(state.nodes.length, 3);
    for (const n of state.nodes) assert.deepEqual(n.models.map((m) => m.toLowerCase()).sort(), [creditId, judgeId].map((m) => m.toLowerCase()).sort());
    const credit = () => state.models.find((m) => m.name === 'credit-score')!;
    assert.deepEqual([credit().version, credit().pending, credit().pinning, credit().setup], [1, { version: 2, activeFrom: Number(activeFrom) }, 'verifying key', 'dev']);
    // Constraints and accuracy from the compiled artefacts the CLI finds (the example credit model, in the compile cache).
    assert.deepEqual([credit().constraints, credit().verifyGas], [compiled.report.constraints, compiled.report.verifier?.expectedVerifyGas]);
    assert.equal(credit().accuracy, `held-out MAE ${creditModel.metrics().quantizedMaeHeldOut}`);
    const judge = state.models.find((m) => m.name === 'judge')!;
    assert.deepEqual([judge.mode, judge.version, judge.pending], ['agreed', 1, undefined]);
    assert.match(await (await fetch(url)).text(), /<title>Verity explorer<\/title>/);

    // Meanwhile requests pinned to version 1 go through, and verity request says what is coming.
    const pinned = await verity(['request', creditId, '--bytes', '0x80808080', '--version', '1', '--no-wait', '--deployment', deployment], anvilKey(3));
    assert.equal(pinned.status, 0, pinned.stderr);
    assert.match(pinned.stdout, /^note: version 2 of "credit-score" takes effect at \d{4}-.*Z; requests pinned with --version 1 are refused from then on$/m);

    // Two days later version 2 is the effective one, with no event: the explorer reads the model again.
    const rpc = (method: string, params: unknown[]) => fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    await rpc('evm_increaseTime', [2 * 86_400 + 1]);
    await rpc('evm_mine', []);
    Object.assign(state, await (await fetch(`${url}api/state`)).json());
    assert.deepEqual([credit().version, credit().pending], [2, undefined]);
    const stale = await verity(['request', creditId, '--bytes', '0x80808080', '--version', '1', '--no-wait', '--deployment', deployment], anvilKey(3));
    assert.match(stale.stderr, new RegExp(`ContractRevertError: ModelVersionMismatch\\(${creditId}, 1, 2\\)`));
  } finally {
    child.kill('SIGTERM');
  }
});

test('user mistakes: decoded reverts and typed errors in one line, never a stack trace', async () => {
  const unknown = `0x${'ab'.repeat(32)}`;
  const cases: [string[], RegExp][] = [
    [['request', unknown, '--bytes', '0x80808080', '--deployment', deployment], /error: ContractRevertError: UnknownModel\(.*0xabab/],
    [['request', '0x1234', '--bytes', '0x80', '--deployment', deployment], /error: InvalidModelIdError: A model id is 32 bytes of hex \(0x \+ 64 digits\); got "0x1234"/],
    [['request', unknown, '--deployment', deployment], /RequestInputError: verity request: no input given/],
    [['request', unknown, '--bytes', '0x80', '--deployment', join(dir, 'missing.json')], /DeploymentFileError: Cannot use the deployment file .*missing\.json: no such file/],
    [['deploy', '--rpc', 'http://127.0.0.1:1', '--out', join(dir, 'x.json')], /^error: RpcUnreachableError: Cannot reach the RPC at http:\/\/127\.0\.0\.1:1\//],
    [['deploy'], /^error: UsageError: verity deploy: needs --rpc URL.*\nusage: verity deploy --rpc URL/],
    [['deploy', '--rpc', anvil.rpcUrl, '--gas-price', '1'], /^error: UsageError: verity deploy: Unknown option '--gas-price'/],
    [['explorer', '--deployment', deployment, '--model-dir', join(dir, 'nope')], /^error: CompiledDirNotFoundError: No compiled model at ".*nope"/],
  ];
  for (const [args, expected] of cases) {
    const r = await verity(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, expected, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${args.join(' ')}`);
  }
  // Underpaid and a wrong input length, on a real model.
  const registered = await verity(['register', compiled.dir, '--name', 'credit-2', '--fee', '0.001', '--deployment', deployment], anvilKey(1));
  const modelId = /as (0x[0-9a-f]{64})/.exec(registered.stdout)![1]!;
  // Nobody serves it yet: a request would escrow a fee no node can earn.
  const unserved = await verity(['request', modelId, '--bytes', '0x80808080', '--no-wait', '--deployment', deployment], anvilKey(3));
  assert.match(unserved.stderr, new RegExp(`ContractRevertError: NoServer\\(${modelId}\\)`));
  assert.equal((await verity(['node', 'serve', modelId, '--deployment', deployment], anvilKey(2))).status, 0);
  assert.match((await verity(['node', 'serve', modelId, '--deployment', deployment], anvilKey(2))).stdout, /already serving "credit-2"/);
  const under = await verity(['request', modelId, '--bytes', '0x80808080', '--value', '0.0001', '--no-wait', '--deployment', deployment], anvilKey(3));
  assert.match(under.stderr, /ContractRevertError: InsufficientFee\(\d+, 100000000000000\)/);
  const version = await verity(['request', modelId, '--bytes', '0x80808080', '--version', '2', '--no-wait', '--deployment', deployment], anvilKey(3));
  assert.match(version.stderr, new RegExp(`ContractRevertError: ModelVersionMismatch\\(${modelId}, 2, 1\\)`));
  const shape = await verity(['request', modelId, '--bytes', '0x8080', '--no-wait', '--deployment', deployment], anvilKey(3));
  assert.match(shape.stderr, /ContractRevertError: InputLengthMismatch\(0x[0-9a-f]{64}, 4, 2\)/);
  const noKey = await verity(['request', modelId, '--bytes', '0x80808080', '--deployment', deployment], '' as `0x${string}`);
  assert.match(noKey.stderr, /MissingKeyError: verity request sends transactions: set VERITY_PRIVATE_KEY/);
  // Its only server opts out: requests are refused again rather than escrowed for nobody.
  const stopped = await verity(['node', 'stop-serving', modelId, '--deployment', deployment], anvilKey(2));
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.match(stopped.stdout, /^stopped serving "credit-2"/m);
  const orphan = await verity(['request', modelId, '--bytes', '0x80808080', '--no-wait', '--deployment', deployment], anvilKey(3));
  assert.match(orphan.stderr, new RegExp(`ContractRevertError: NoServer\\(${modelId}\\)`));
  const typo = await verity(['node', 'serve', `0x${'cd'.repeat(32)}`, '--deployment', deployment], anvilKey(2));
  assert.match(typo.stderr, /ContractRevertError: UnknownModel\(0xcdcd/);
});

test('off a devnet: deploy refuses an admin delay operators cannot outrun, register refuses unpinned weights and (without --allow-dev-setup) a dev setup, sending nothing', async () => {
  const sepolia = await startAnvil({ chainId: 11155111 });
  try {
    const { publicClient } = await connect(sepolia.rpcUrl);
    const nonce = (i: number) => publicClient.getTransactionCount({ address: privateKeyToAddress(anvilKey(i)) });
    const out = join(dir, 'sepolia.json');
    const unsafe = await verity(['deploy', '--rpc', sepolia.rpcUrl, '--out', out, '--admin-delay', '7d', '--unbonding', '7d']);
    assert.equal(unsafe.status, 2);
    assert.match(unsafe.stderr, /^error: AdminDelayError: adminDelay 604800 s must be longer than unbondingPeriod 604800 s on chain 11155111/);
    assert.equal(await nonce(0), 0, 'nothing deployed');
    assert.equal(existsSync(out), false);
    const deployed = await verity(['deploy', '--rpc', sepolia.rpcUrl, '--out', out]);
    assert.equal(deployed.status, 0, deployed.stderr);

    const signals = (await compileCached('test-tiny-signals', TINY_ONNX, { calibration: tinySamples(16), weights: 'signals' })).compiled;
    const unpinned = await verity(['register', signals.dir, '--name', 'tiny-signals', '--fee', '0.001', '--deployment', out, '--allow-dev-setup'], anvilKey(1));
    assert.equal(unpinned.status, 2);
    assert.match(unpinned.stderr, /^error: UnpinnedWeightsError: A model compiled with --weights signals cannot be registered/);
    assert.match(unpinned.stderr, /--weights constant .* --weights committed/);
    const devSetup = await verity(['register', compiled.dir, '--name', 'credit-score', '--fee', '0.001', '--deployment', out], anvilKey(1));
    assert.equal(devSetup.status, 2);
    assert.match(devSetup.stderr, /^error: DevSetupError: The model's proving key comes from the insecure dev setup; chain 11155111 is not a devnet/);
    assert.match(devSetup.stderr, /--allow-dev-setup/);
    assert.equal(await nonce(1), 0, 'no verifier deployed for a refused model');

    const allowed = await verity(['register', compiled.dir, '--name', 'credit-score', '--fee', '0.001', '--deployment', out, '--allow-dev-setup'], anvilKey(1));
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.match(allowed.stdout, /!!! WARNING: INSECURE DEV SETUP ON A NON-DEVNET CHAIN !!!/);
    assert.match(allowed.stdout, /registered proved model "credit-score" as 0x[0-9a-f]{64}/);
  } finally {
    await sepolia.stop();
  }
});
