// A proof file is a claim: verify decodes the answer from the verified public signals and
// refuses a file whose own fields say otherwise; float inputs outside the model's range are
// refused unless the caller opts in to clamping (issue 15, attacks 8 and 9; issue 19, item 4).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ArtefactError, clampedFeatures, inferQuantized, inputRange, InputRangeError, InputValueError, MalformedProofFileError, ProofFileMismatchError, Prover,
  quantizeInput, releaseCurves, verifyProof, verifyProofFile, type CompiledModel, type ProofFile,
} from './exports.js';
import { tinyCompiled, tinySamples } from './fixtures.js';

let compiled: CompiledModel;
let prover: Prover;
let file: ProofFile;

before(async () => {
  compiled = (await tinyCompiled()).compiled;
  prover = await Prover.load(compiled.dir);
  file = await prover.prove({ input: tinySamples(1, 21)[0]! }, 5n);
});
after(releaseCurves);

test('verifyProof returns the answer decoded from the verified public signals', async () => {
  const answer = await verifyProof(compiled.dir, file);
  assert.ok(answer);
  assert.deepEqual(answer.outputIntegers, inferQuantized(compiled.model, quantizeInput(compiled.model, tinySamples(1, 21)[0]!)));
  assert.deepEqual(answer.outputs, file.outputs);
  assert.equal(answer.inputCommitment?.toString(), file.inputCommitment);
  assert.equal(answer.binding, 5n);
  // A file with only the proof and its signals claims nothing else, and still verifies.
  assert.ok(await verifyProof(compiled.dir, { proof: file.proof, publicSignals: file.publicSignals }));
});

test('verify needs only report.json and verification_key.json (model.json may hold secret weights)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-verify-'));
  await assert.rejects(verifyProof(dir, file), (e: unknown) => e instanceof ArtefactError && e.missing === 'report.json');
  for (const f of ['report.json', 'verification_key.json']) copyFileSync(join(compiled.dir, f), join(dir, f));
  assert.deepEqual((await verifyProof(dir, file))?.outputs, file.outputs);
});

test('a verified proof file whose outputs, outputIntegers, inputCommitment or binding were edited is refused, naming the field', async () => {
  const edits: [keyof ProofFile, unknown, unknown][] = [
    ['outputs', file.outputs.map((v, i) => (i === 0 ? v + 100 : v)), file.outputs],
    ['outputs', file.outputs.slice(1), file.outputs],
    ['outputIntegers', file.outputIntegers.map((v, i) => (i === 1 ? String(BigInt(v) - 7n) : v)), file.outputIntegers],
    ['inputCommitment', '123', file.inputCommitment],
    ['binding', '6', '5'],
  ];
  for (const [field, found, expected] of edits) {
    const lying = { ...file, [field]: found };
    await assert.rejects(verifyProof(compiled.dir, lying), (e: unknown) =>
      e instanceof ProofFileMismatchError && e.field === field && JSON.stringify(e.found) === JSON.stringify(found) && JSON.stringify(e.expected) === JSON.stringify(expected), field);
    await assert.rejects(verifyProofFile(compiled.dir, lying), ProofFileMismatchError, `verifyProofFile, ${field}`);
  }
});

test('a tampered proof is invalid, not a mismatch: the signals are checked first', async () => {
  const signals = [...file.publicSignals];
  signals[0] = (BigInt(signals[0]!) + 1n).toString();
  assert.equal(await verifyProof(compiled.dir, { ...file, publicSignals: signals, outputs: [1, 2, 3] }), undefined);
});

test('a file that is not a proof file gets MalformedProofFileError naming the field, not a TypeError', async () => {
  const cases: [unknown, string][] = [
    [{}, 'proof'],
    [null, 'file'],
    [[1, 2], 'file'],
    [{ ...file, proof: { ...file.proof, pi_a: 'x' } }, 'proof.pi_a'],
    [{ ...file, proof: { ...file.proof, pi_b: [['1', '2']] } }, 'proof.pi_b'],
    [{ ...file, proof: { ...file.proof, pi_c: [1, 2, 3] } }, 'proof.pi_c'],
    [{ ...file, proof: { ...file.proof, protocol: 'plonk' } }, 'proof.protocol'],
    [{ proof: file.proof }, 'publicSignals'],
    [{ ...file, publicSignals: file.publicSignals.slice(1) }, 'publicSignals'],
    [{ ...file, publicSignals: ['-1', ...file.publicSignals.slice(1)] }, 'publicSignals'],
  ];
  for (const [f, field] of cases) {
    await assert.rejects(verifyProof(compiled.dir, f), (e: unknown) => e instanceof MalformedProofFileError && e.field === field, `${field}: ${JSON.stringify(f)?.slice(0, 60)}`);
  }
});

test('prove refuses float inputs outside the calibrated range, and 1e308, naming the feature, its value and the range', async () => {
  const range = inputRange(compiled.model);
  assert.deepEqual(compiled.report.quantization.inputRange, range);
  assert.equal(compiled.report.quantization.calibration, 'samples');
  const x = tinySamples(1, 22)[0]!;
  for (const [index, value] of [[0, 10], [3, -1e9], [7, 1e308], [2, range[1] + 0.05]] as const) {
    const bad = x.map((v, i) => (i === index ? value : v));
    await assert.rejects(prover.prove({ input: bad }), (e: unknown) =>
      e instanceof InputRangeError && e.index === index && e.value === value && e.range[0] === range[0] && e.range[1] === range[1], `feature ${index} = ${value}`);
  }
  await assert.rejects(prover.prove({ input: x.map((v, i) => (i === 1 ? Number.POSITIVE_INFINITY : v)), clamp: true }), (e: unknown) => e instanceof InputValueError && e.index === 1);
});

test('prove with clamp saturates out-of-range features and the proof file lists them', async () => {
  const x = tinySamples(1, 23)[0]!;
  const wild = x.map((v, i) => (i === 0 ? 10 : i === 5 ? -1e308 : v));
  const [lo, hi] = inputRange(compiled.model);
  const clamped = await prover.prove({ input: wild, clamp: true });
  assert.deepEqual(clamped.clamped, [{ index: 0, value: 10, clampedTo: hi }, { index: 5, value: -1e308, clampedTo: lo }]);
  assert.deepEqual(clamped.clamped, clampedFeatures(compiled.model, wild));
  // The proof is of the clamped input, and says so; in-range inputs list nothing.
  const saturated = wild.map((v, i) => (i === 0 ? hi : i === 5 ? lo : v));
  assert.deepEqual(clamped.outputIntegers, inferQuantized(compiled.model, quantizeInput(compiled.model, saturated)).map(String));
  assert.equal(await verifyProofFile(compiled.dir, clamped), true);
  assert.deepEqual((await prover.prove({ input: x, clamp: true })).clamped, []);
  assert.equal((await prover.prove({ input: x })).clamped, undefined);
});

test('Prover.verify checks a proof from elsewhere against the model\'s key: the answer from its signals, undefined when it does not verify or is not a proof', async () => {
  const answer = await prover.verify({ proof: file.proof, publicSignals: file.publicSignals });
  assert.ok(answer);
  assert.deepEqual(answer.outputs, file.outputs);
  assert.equal(answer.binding, 5n);
  const rebound = [...file.publicSignals.slice(0, -1), '6'];
  assert.equal(await prover.verify({ proof: file.proof, publicSignals: rebound }), undefined, 'another binding');
  assert.equal(await prover.verify({ proof: { ...file.proof, pi_a: ['1', '2'] }, publicSignals: file.publicSignals }), undefined, 'a malformed proof');
  assert.equal(await prover.verify({ proof: file.proof, publicSignals: file.publicSignals.slice(1) }), undefined, 'too few public signals');
});
