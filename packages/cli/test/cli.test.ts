import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { releaseCurves, type CompiledModel } from '@verity/zkml';
import { tinyCompiled, tinySamples, TINY_ONNX } from '../../zkml/test/fixtures.js';
import { onnxHelpers } from '../../zkml/test/exports.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'verity.mjs');
const verity = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });
const dir = mkdtempSync(join(tmpdir(), 'verity-cli-'));
let compiled: CompiledModel;

before(async () => {
  compiled = (await tinyCompiled()).compiled;
  await releaseCurves();
});

test('verity prove writes a proof (and a .wtns) that verity verify accepts; a tampered one exits 1', () => {
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ input_data: [tinySamples(1, 4)[0]] }));
  const proved = verity('prove', compiled.dir, '--input', join(dir, 'input.json'), '--out', join(dir, 'proof.json'), '--witness', join(dir, 'w.wtns'));
  assert.equal(proved.status, 0, proved.stderr);
  assert.ok(readFileSync(join(dir, 'w.wtns')).subarray(0, 4).equals(Buffer.from('wtns')));
  assert.equal(verity('verify', compiled.dir, join(dir, 'proof.json')).status, 0);
  const proof = JSON.parse(readFileSync(join(dir, 'proof.json'), 'utf8'));
  proof.publicSignals[0] = (BigInt(proof.publicSignals[0]) + 1n).toString();
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(proof));
  const rejected = verity('verify', compiled.dir, join(dir, 'bad.json'));
  assert.equal(rejected.status, 1);
  assert.match(rejected.stdout, /INVALID/);
});

test('verity prove accepts a plain JSON array and refuses a wrong shape with a readable error', () => {
  writeFileSync(join(dir, 'plain.json'), JSON.stringify(tinySamples(1, 5)[0]));
  assert.equal(verity('prove', compiled.dir, '--input', join(dir, 'plain.json'), '--out', join(dir, 'p2.json')).status, 0);
  writeFileSync(join(dir, 'short.json'), '[1, 2, 3]');
  const r = verity('prove', compiled.dir, '--input', join(dir, 'short.json'), '--out', join(dir, 'p3.json'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: InputShapeError: Wrong input shape: the model takes \[1,8\]/);
  assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace for a user mistake
  assert.equal(existsSync(join(dir, 'p3.json')), false);
});

test('verity compile refuses an unsupported operator, naming the node, and writes nothing', () => {
  writeFileSync(join(dir, 'bad.onnx'), onnxHelpers.withOp(TINY_ONNX, 1, 'Erf'));
  const out = join(dir, 'out');
  const r = verity('compile', join(dir, 'bad.onnx'), '--out', out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /UnsupportedOperatorError: Unsupported ONNX operator Erf at node "Relu_0"/);
  assert.match(r.stderr, /agreed mode/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.out')), []);
});

test('verity compile refuses a file that is not ONNX', () => {
  writeFileSync(join(dir, 'junk.onnx'), 'definitely not protobuf');
  const r = verity('compile', join(dir, 'junk.onnx'), '--out', join(dir, 'junk'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /MalformedModelError/);
});

test('verity with no command prints help; an unknown command is a usage error', () => {
  assert.match(verity('--help').stdout, /verity dev --once/);
  const r = verity('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /UsageError: usage: unknown command "frobnicate"/);
});

/** A user mistake: exit 2, one `error: <Name>:` line first, no stack trace. */
function refused(r: ReturnType<typeof verity>, name: string) {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^error: ${name}: `));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('verity verify prints the outputs decoded from the public signals, and refuses a valid proof file whose outputs were edited', () => {
  const input = join(dir, 'verify-input.json'), proofPath = join(dir, 'verify-proof.json');
  writeFileSync(input, JSON.stringify(tinySamples(1, 31)[0]));
  assert.equal(verity('prove', compiled.dir, '--input', input, '--out', proofPath).status, 0);
  const proof = JSON.parse(readFileSync(proofPath, 'utf8'));
  const ok = verity('verify', compiled.dir, proofPath);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(ok.stdout.split('\n')[0], 'valid');
  assert.match(ok.stdout, new RegExp(`^outputs ${JSON.stringify(proof.outputs).replace(/[[\]().+-]/g, '\\$&')} `, 'm'));
  // Attack 8: the same proof and signals, with other decoded answers written beside them.
  for (const [field, value] of [['outputs', proof.outputs.map((v: number) => v + 1)], ['outputIntegers', proof.outputIntegers.map(() => '0')], ['inputCommitment', '1']] as const) {
    writeFileSync(join(dir, 'lying.json'), JSON.stringify({ ...proof, [field]: value }));
    const r = verity('verify', compiled.dir, join(dir, 'lying.json'));
    refused(r, 'ProofFileMismatchError');
    assert.match(r.stderr, new RegExp(`file's ${field} is `));
    assert.doesNotMatch(r.stdout, /valid/);
  }
});

test('verity verify on {} or on a file that is not JSON names the problem instead of a TypeError stack', () => {
  writeFileSync(join(dir, 'empty.json'), '{}');
  refused(verity('verify', compiled.dir, join(dir, 'empty.json')), 'MalformedProofFileError');
  writeFileSync(join(dir, 'notjson.json'), 'proof?');
  const r = verity('verify', compiled.dir, join(dir, 'notjson.json'));
  refused(r, 'MalformedProofFileError');
  assert.match(r.stderr, /notjson\.json/);
});

test('verity prove refuses 1e308 and out-of-range inputs by default; --clamp proves and lists the clamped features', () => {
  const x = tinySamples(1, 32)[0]!;
  const { inputBits, inputScale } = compiled.model;
  const hi = (2 ** (inputBits - 1) - 1) / 2 ** inputScale, lo = -(2 ** (inputBits - 1)) / 2 ** inputScale;
  writeFileSync(join(dir, 'huge.json'), JSON.stringify({ input_data: [x.map((v, i) => (i === 2 ? 1e308 : v))] }));
  refused(verity('prove', compiled.dir, '--input', join(dir, 'huge.json'), '--out', join(dir, 'huge-proof.json')), 'InputRangeError');
  assert.equal(existsSync(join(dir, 'huge-proof.json')), false);
  assert.deepEqual(compiled.report.quantization.inputRange, [lo, hi]);
  writeFileSync(join(dir, 'wide.json'), JSON.stringify(x.map((v, i) => (i === 0 ? 10 : i === 1 ? -1 : v))));
  const r = verity('prove', compiled.dir, '--input', join(dir, 'wide.json'), '--out', join(dir, 'wide-proof.json'));
  refused(r, 'InputRangeError');
  assert.match(r.stderr, new RegExp(`feature 0 is 10, .*\\[${lo}, ${hi}\\]`));
  const clamped = verity('prove', compiled.dir, '--input', join(dir, 'wide.json'), '--out', join(dir, 'wide-proof.json'), '--clamp');
  assert.equal(clamped.status, 0, clamped.stderr);
  assert.match(clamped.stderr, /^warning: --clamp saturated 1 feature/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'wide-proof.json'), 'utf8')).clamped, [{ index: 0, value: 10, clampedTo: hi }]);
  assert.equal(verity('verify', compiled.dir, join(dir, 'wide-proof.json')).status, 0);
});

test('verity compile without --calibration warns that real inputs above about 1 or 2 will not fit', () => {
  writeFileSync(join(dir, 'junk2.onnx'), 'not protobuf either');
  const r = verity('compile', join(dir, 'junk2.onnx'), '--out', join(dir, 'junk2'));
  assert.match(r.stderr, /^WARNING: no --calibration given: .*real inputs above about 1 or 2 will not fit/);
  const calibrated = verity('compile', join(dir, 'junk2.onnx'), '--out', join(dir, 'junk2'), '--calibration', join(dir, 'wide.json'));
  assert.doesNotMatch(calibrated.stderr, /WARNING/);
});
