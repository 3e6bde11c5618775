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
