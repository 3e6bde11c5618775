import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, copyFileSync, cpSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import {
  compileModel, inferQuantized, inputCommitment, Prover, quantizeInput, unpackOutputs, verifyProofFile,
  UnsupportedOperatorError, InputShapeError, InputValueError, onnxHelpers, releaseCurves, type CompiledModel,
} from './exports.js';
import { tinyCompiled, tinySamples, TINY_ONNX } from './fixtures.js';
import { signalIndex, wtnsValues } from './wtns.js';

const require = createRequire(import.meta.url);
let compiled: CompiledModel;
let prover: Prover;
const scratch = mkdtempSync(join(tmpdir(), 'verity-circuit-'));

before(async () => {
  compiled = (await tinyCompiled()).compiled;
  prover = await Prover.load(compiled.dir);
});
after(releaseCurves);

test('report.json names every artefact and breaks constraints down by part', () => {
  const { report } = compiled;
  for (const f of Object.values(report.files)) assert.ok(existsSync(join(compiled.dir, f)), `missing ${f}`);
  assert.equal(Object.values(report.constraintsByPart).reduce((a, b) => a + b, 0), report.constraints);
  assert.ok(report.constraintsByPart.inputCommitment! > 0);
  assert.equal(report.layout.publicSignals, 3);
  assert.deepEqual(report.inputShape, [1, 8]);
  assert.ok(report.verifier!.bytecodeSize < 24_576);
  assert.equal(report.setup.insecure, true);
});

test('the circuit computes exactly the TypeScript integer reference, and its commitment', async () => {
  for (const x of tinySamples(4, 5)) {
    const u = quantizeInput(compiled.model, x);
    const { publicSignals } = await prover.prove({ input: x }, 42n);
    const words = publicSignals.slice(0, compiled.report.layout.outputWords).map(BigInt);
    assert.deepEqual(unpackOutputs(compiled.report.layout, words), inferQuantized(compiled.model, u));
    assert.equal(BigInt(publicSignals[compiled.report.layout.outputWords]!), await inputCommitment(compiled.report.layout, u));
    assert.equal(publicSignals.at(-1), '42');
  }
});

test('a proof verifies, and fails once any public signal changes', async () => {
  const file = await prover.prove({ input: tinySamples(1, 9)[0]! }, 7n);
  assert.equal(await verifyProofFile(compiled.dir, file), true);
  for (let i = 0; i < file.publicSignals.length; i++) {
    const tampered = [...file.publicSignals];
    tampered[i] = (BigInt(tampered[i]!) + 1n).toString();
    assert.equal(await verifyProofFile(compiled.dir, { ...file, publicSignals: tampered }), false, `signal ${i}`);
    // The same value plus the field modulus is the same field element: it must still be refused.
    const aliased = [...file.publicSignals];
    aliased[i] = (BigInt(aliased[i]!) + FIELD).toString();
    assert.equal(await verifyProofFile(compiled.dir, { ...file, publicSignals: aliased }), false, `aliased signal ${i}`);
  }
});

const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Writes a valid witness, applies `tamper`, and returns whether the r1cs accepts it and whether a proof from it verifies. */
async function tamperedWitness(tamper: (w: ReturnType<typeof wtnsValues>) => void): Promise<{ satisfied: boolean; verifies: boolean }> {
  const file = join(scratch, `w${Math.random().toString(36).slice(2)}.wtns`);
  const u = quantizeInput(compiled.model, tinySamples(1, 13)[0]!);
  await snarkjs.wtns.calculate(prover.circuitInputs(u, 99n), compiled.path('wasm'), file);
  tamper(wtnsValues(file));
  const quiet = { warn() {}, info() {}, error() {}, debug() {} };
  const satisfied = await snarkjs.wtns.check(compiled.path('r1cs'), file, quiet);
  const { proof, publicSignals } = await snarkjs.groth16.prove(compiled.path('zkey'), file);
  const verifies = await verifyProofFile(compiled.dir, { proof, publicSignals });
  return { satisfied, verifies };
}

test('soundness: an untampered witness satisfies the constraints (control)', async () => {
  assert.deepEqual(await tamperedWitness(() => {}), { satisfied: true, verifies: true });
});

test('soundness: a tampered output is rejected', async () => {
  const r = await tamperedWitness((w) => w.set(1, w.get(1) + 1n)); // witness 1 = out[0]
  assert.deepEqual(r, { satisfied: false, verifies: false });
});

test('soundness: a flipped range-check bit (a hint) is rejected', async () => {
  const index = signalIndex(compiled.path('symbols'), 'main.s0_0.c0_0[0].bits.out[3]');
  const r = await tamperedWitness((w) => w.set(index, 1n - w.get(index)));
  assert.deepEqual(r, { satisfied: false, verifies: false });
});

test('soundness: a changed input (against its commitment) is rejected', async () => {
  const index = signalIndex(compiled.path('symbols'), 'main.u[0]');
  const r = await tamperedWitness((w) => w.set(index, w.get(index) ^ 1n));
  assert.deepEqual(r, { satisfied: false, verifies: false });
});

test('circom --inspect reports nothing for a generated circuit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-inspect-'));
  copyFileSync(compiled.path('circuit'), join(dir, 'circuit.circom'));
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'circuits', 'verity.circom'), join(dir, 'verity.circom'));
  cpSync(join(dirname(require.resolve('circomlib/package.json')), 'circuits'), join(dir, 'circomlib', 'circuits'), { recursive: true });
  const r = spawnSync(process.execPath, [require.resolve('circom2/cli.js'), 'circuit.circom', '--inspect'], { cwd: dir, encoding: 'utf8' });
  const output = r.stdout + r.stderr;
  assert.equal(r.status, 0, output);
  assert.doesNotMatch(output, /warning|error/i);
});

test('a wrong input shape is a typed error before any proving', async () => {
  await assert.rejects(prover.prove({ input: [1, 2, 3] }), (e: unknown) => e instanceof InputShapeError && e.got === 3);
  await assert.rejects(prover.prove({ encoded: Array(8).fill(256n) }), (e: unknown) => e instanceof InputValueError && e.index === 0 && e.range?.[1] === 255n);
});

test('a failed compile leaves no partial artefacts', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'verity-out-'));
  const bad = onnxHelpers.withOp(TINY_ONNX, 1, 'NonMaxSuppression');
  await assert.rejects(compileModel(bad, { out: join(parent, 'model') }), UnsupportedOperatorError);
  assert.deepEqual(readdirSync(parent), []);
  assert.equal(readFileSync(compiled.path('report'), 'utf8').length > 0, true);
});
