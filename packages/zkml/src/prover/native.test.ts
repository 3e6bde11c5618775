// The native prover (native/verity-prover) against snarkjs on the same keys and witnesses:
// its proofs verify with snarkjs and carry the same public signals; a witness that breaks a
// constraint is refused as snarkjs's proof of it is rejected; every native failure is a typed error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import {
  NATIVE_ERRORS, NATIVE_PROVER_BIN, NativeProver, NativeProverExitedError, ProvingKeyError, Prover, quantizeInput, releaseCurves, resolveBackend,
  UnknownProverBackendError, UnsatisfiedWitnessError, WitnessFormatError, WitnessSizeError, nativeProverBuilt, type CompiledModel,
} from '../index.js';
import { cnnSamples, shardedCompiled, tinyCompiled, tinySamples } from '../../test/fixtures.js';
import { wtnsValues } from '../../test/wtns.js';

const tmp = mkdtempSync(join(tmpdir(), 'verity-native-'));
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const open: NativeProver[] = [];
after(async () => { await Promise.all(open.map((p) => p.close())); await releaseCurves(); });

const skip = nativeProverBuilt() ? false : `the native prover is not built (${NATIVE_PROVER_BIN}): no cargo at npm install`;

async function nativeFor(compiled: CompiledModel): Promise<NativeProver> {
  const p = await NativeProver.load(compiled.path('zkey'));
  open.push(p);
  return p;
}

/** The witness file (.wtns) a Prover computes for `x`, through `prove`'s own witness path. */
async function witnessOf(compiled: CompiledModel, x: number[], binding: bigint): Promise<Uint8Array> {
  const prover = await Prover.load(compiled.dir, { backend: 'snarkjs' });
  const file = join(tmp, `w-${Math.random().toString(36).slice(2)}.wtns`);
  await prover.prove({ input: x }, binding, { witnessFile: file });
  return readFileSync(file);
}

const families: [string, () => Promise<{ compiled: CompiledModel }>, () => number[]][] = [
  ['the tiny MLP (8-4-3)', tinyCompiled, () => tinySamples(1, 5)[0]!],
  ['the small CNN compiled in three parts and linked', shardedCompiled, () => cnnSamples(1, 6, 8)[0]!],
];

for (const [name, compile, sample] of families) {
  test(`${name}: a native proof of the same witness verifies with snarkjs, with snarkjs's public signals`, { skip }, async () => {
    const { compiled } = await compile();
    const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
    const witness = await witnessOf(compiled, sample(), 12345n);
    const native = await nativeFor(compiled);
    const ours = await native.prove(witness);
    const theirs = await snarkjs.groth16.prove({ type: 'mem', data: readFileSync(compiled.path('zkey')) }, { type: 'mem', data: witness });
    assert.deepEqual(ours.publicSignals, theirs.publicSignals);
    assert.deepEqual(Object.keys(ours.proof), Object.keys(theirs.proof));
    assert.deepEqual([ours.proof.pi_a.length, ours.proof.pi_b.map((c) => c.length), ours.proof.pi_c.length], [3, [2, 2, 2], 3]);
    assert.equal(await snarkjs.groth16.verify(vk, ours.publicSignals, ours.proof), true);
    // and the key stays loaded: a second proof of another input from the same process
    // (halved, not negated: a model calibrated on non-negative inputs refuses negative ones)
    const again = await native.prove(await witnessOf(compiled, sample().map((v) => v / 2), 7n));
    assert.equal(await snarkjs.groth16.verify(vk, again.publicSignals, again.proof), true);
    assert.notDeepEqual(again.publicSignals, ours.publicSignals);
  });
}

test('Prover.load with backend native proves through the native core; its proof file verifies as a snarkjs one', { skip }, async () => {
  const { compiled } = await tinyCompiled();
  const [native, js] = await Promise.all([Prover.load(compiled.dir, { backend: 'native' }), Prover.load(compiled.dir, { backend: 'snarkjs' })]);
  open.push(native.backend as NativeProver);
  assert.equal(native.backend.name, 'native');
  assert.equal(js.backend.name, 'snarkjs');
  const x = tinySamples(1, 21)[0]!;
  const [a, b] = [await native.prove({ input: x }, 99n), await js.prove({ input: x }, 99n)];
  assert.deepEqual(a.publicSignals, b.publicSignals);
  assert.deepEqual(a.outputIntegers, b.outputIntegers);
  const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
  assert.equal(await snarkjs.groth16.verify(vk, a.publicSignals, a.proof), true);
  assert.deepEqual(quantizeInput(compiled.model, x).length, 8);
});

test('a tampered witness (one private wire changed): snarkjs proves it and the proof fails; the native prover refuses it', { skip }, async () => {
  const { compiled } = await tinyCompiled();
  const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
  const file = join(tmp, 'tampered.wtns');
  writeFileSync(file, await witnessOf(compiled, tinySamples(1, 13)[0]!, 3n));
  const w = wtnsValues(file);
  const wire = vk.nPublic + 1 + Math.floor((w.count - vk.nPublic - 1) / 2);
  w.set(wire, w.get(wire) + 1n);
  assert.equal(await snarkjs.wtns.check(compiled.path('r1cs'), file, silent), false, 'the changed wire breaks a constraint');
  const tampered = readFileSync(file);
  const theirs = await snarkjs.groth16.prove({ type: 'mem', data: readFileSync(compiled.path('zkey')) }, { type: 'mem', data: tampered });
  assert.equal(await snarkjs.groth16.verify(vk, theirs.publicSignals, theirs.proof), false);
  const native = await nativeFor(compiled);
  await assert.rejects(native.prove(tampered), UnsatisfiedWitnessError);
});

test('native failures are typed errors, one TypeScript class per Rust kind, and the prover keeps serving', { skip }, async () => {
  const kinds = JSON.parse(execFileSync(NATIVE_PROVER_BIN, ['--kinds'], { encoding: 'utf8' })) as string[];
  assert.deepEqual(kinds.sort(), Object.keys(NATIVE_ERRORS).sort());

  const missing = join(tmp, 'no.zkey');
  await assert.rejects(NativeProver.load(missing), (e: unknown) => e instanceof ProvingKeyError && e.path === missing);
  writeFileSync(join(tmp, 'bad.zkey'), 'zkey, but not really');
  await assert.rejects(NativeProver.load(join(tmp, 'bad.zkey')), ProvingKeyError);

  const { compiled } = await tinyCompiled();
  const native = await nativeFor(compiled);
  const witness = await witnessOf(compiled, tinySamples(1, 2)[0]!, 1n);
  await assert.rejects(native.prove(witness.subarray(0, 100)), WitnessFormatError);
  const other = await witnessOf((await shardedCompiled()).compiled, cnnSamples(1)[0]!, 1n);
  await assert.rejects(native.prove(other), (e: unknown) => e instanceof WitnessSizeError && e.expected === native.key.nVars && e.got !== e.expected);
  const { publicSignals } = await native.prove(witness);
  assert.equal(publicSignals.length, native.key.nPublic);
});

test('a script that proves natively and closes its prover exits by itself: an idle prover holds nothing open, a closing one the loop', { skip }, async () => {
  const { compiled } = await tinyCompiled();
  const witness = join(tmp, 'script.wtns');
  writeFileSync(witness, await witnessOf(compiled, tinySamples(1, 4)[0]!, 2n));
  const script = `import { readFileSync } from 'node:fs'; import { NativeProver } from './src/index.ts';
    const p = await NativeProver.load(${JSON.stringify(compiled.path('zkey'))});
    const { publicSignals } = await p.prove(readFileSync(${JSON.stringify(witness)}));
    await p.close(); console.log(publicSignals.length);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8' });
  assert.equal(out.trim(), String(JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8')).nPublic));
});

test('a prover process killed with a proof pending fails that proof with NativeProverExitedError; the next proof starts a new process and verifies', { skip }, async () => {
  const { compiled } = await tinyCompiled();
  const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
  const prover = await Prover.load(compiled.dir, { backend: 'native' });
  const native = prover.backend as NativeProver;
  const x = tinySamples(1, 8)[0]!;
  const file = join(tmp, 'pending.wtns');
  await prover.prove({ input: x }, 1n, { witnessFile: file }); // witness worker and prover process both warm
  const first = native.pid!;
  // Stopped, the process cannot answer before it is killed. After setImmediate every microtask
  // has run: the request is written and the proof is pending when the process dies.
  process.kill(first, 'SIGSTOP');
  const pending = native.prove(readFileSync(file));
  await new Promise((r) => setImmediate(r));
  process.kill(first, 'SIGKILL');
  await assert.rejects(pending, (e: unknown) => e instanceof NativeProverExitedError && e.signal === 'SIGKILL');
  // the node's next proof, through the same Prover: a new process with the key loaded again
  const again = await prover.prove({ input: x }, 3n);
  assert.notEqual(native.pid, first, 'a new prover process');
  assert.equal(await snarkjs.groth16.verify(vk, again.publicSignals, again.proof), true);
  await prover.close();
  assert.throws(() => process.kill(native.pid!, 0), { code: 'ESRCH' }, 'close() ended the prover process');
});

test('a prover process that dies while idle is replaced on the next proof', { skip }, async () => {
  const { compiled } = await tinyCompiled();
  const native = await nativeFor(compiled);
  const first = native.pid!;
  process.kill(first, 'SIGKILL');
  await new Promise<void>((r) => { const wait = () => { try { process.kill(first, 0); setTimeout(wait, 10); } catch { r(); } }; wait(); });
  const { publicSignals } = await native.prove(await witnessOf(compiled, tinySamples(1)[0]!, 1n));
  assert.equal(publicSignals.length, native.key.nPublic);
  assert.notEqual(native.pid, first);
});

test('a prover binary that crashes at start is a NativeProverExitedError with its exit code; the node process lives on', async () => {
  const crashing = join(tmp, 'crashing-prover');
  writeFileSync(crashing, '#!/bin/sh\necho "thread main panicked" >&2\nexit 3\n', { mode: 0o755 });
  const script = `import { NativeProver } from './src/index.ts';
    await NativeProver.load('x.zkey').catch((e) => console.log(e.name, e.code, e.details));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8', env: { ...process.env, VERITY_PROVER_BIN: crashing },
  });
  assert.equal(out.trim(), 'NativeProverExitedError 3 thread main panicked');
});

test('Prover.close() ends the native prover process and every witness worker thread (a sharded model\'s parts too)', { skip }, async () => {
  const { compiled } = await shardedCompiled();
  // In a process of its own, to see what it holds open; a file, not -e (worker threads inherit --input-type).
  const script = join(tmp, 'close.mts');
  writeFileSync(script, `import { readdirSync } from 'node:fs'; import { Prover } from ${JSON.stringify(join(import.meta.dirname, '..', 'index.ts'))};
    const threads = () => readdirSync('/proc/self/task').length;
    const prover = await Prover.load(${JSON.stringify(compiled.dir)}, { backend: 'native' });
    await prover.prove({ input: ${JSON.stringify(cnnSamples(1, 6, 8)[0]!)} }, 1n);
    const [pid, warm] = [prover.backend.pid, threads()];
    await prover.close();
    console.log(warm - threads());
    try { process.kill(pid, 0); console.log('prover process alive'); } catch { console.log('prover process ended'); }`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
  // one witness worker thread per part and one for the head
  const link = JSON.parse(readFileSync(join(compiled.dir, 'link.json'), 'utf8')) as { parts: unknown[] };
  assert.deepEqual(out.trim().split('\n'), [String(link.parts.length + 1), 'prover process ended']);
});

test('a prover process that answers out of step fails the request with NativeProtocolError; the node process lives on', async () => {
  const fake = join(tmp, 'fake-prover');
  writeFileSync(fake, '#!/bin/sh\nhead -c 4 >/dev/null\nprintf "\\005\\000\\000\\000hello"\nsleep 5\n', { mode: 0o755 });
  const script = `import { NativeProver } from './src/index.ts';
    await NativeProver.load('x.zkey').catch((e) => console.log(e.name));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8', env: { ...process.env, VERITY_PROVER_BIN: fake },
  });
  assert.equal(out.trim(), 'NativeProtocolError');
});

test('backend choice: explicit, else VERITY_PROVER, else native when built; unknown names are typed errors', () => {
  assert.equal(resolveBackend('snarkjs'), 'snarkjs');
  assert.equal(resolveBackend('native'), 'native');
  assert.equal(resolveBackend('auto'), nativeProverBuilt() ? 'native' : 'snarkjs');
  assert.throws(() => resolveBackend('rapidsnark'), (e: unknown) => e instanceof UnknownProverBackendError && e.value === 'rapidsnark');
  // without the binary (no cargo at install), auto falls back to snarkjs and native is a typed error
  const script = `import { resolveBackend, NativeProver } from './src/index.ts';
    console.log(resolveBackend('auto')); await NativeProver.load('x.zkey').catch((e) => console.log(e.name));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8', env: { ...process.env, VERITY_PROVER_BIN: join(tmp, 'not-built') },
  });
  assert.deepEqual(out.trim().split('\n'), ['snarkjs', 'NativeProverUnavailableError']);
  const env = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { resolveBackend } from './src/index.ts'; console.log(resolveBackend())`], {
    cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8', env: { ...process.env, VERITY_PROVER: 'snarkjs' },
  });
  assert.equal(env.trim(), 'snarkjs');
});
