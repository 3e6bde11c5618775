import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { before, test } from 'node:test';
import { HttpRequestError } from 'viem';
import { RpcUnreachableError } from '@verity/sdk/errors';
import { releaseCurves, type CompiledModel } from '@verity/zkml';
import { tinyCompiled, tinySamples, TINY_ONNX } from '../../zkml/test/fixtures.js';
import { onnxHelpers } from '../../zkml/test/exports.js';
import { FileNotFoundError, UnknownCommandError, UsageError, userError } from '../src/errors.js';
import { helpFor } from '../src/help.js';
import { OptionValueError, parseBigIntOption, parseIntegerOption, parsePercentOption } from '../src/options.js';
import { COMMANDS, GROUPS, overview } from '../src/usage.js';

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
  writeFileSync(join(dir, 'bad.onnx'), onnxHelpers.withOp(TINY_ONNX, 1, 'NonMaxSuppression'));
  const out = join(dir, 'out');
  const r = verity('compile', join(dir, 'bad.onnx'), '--out', out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /UnsupportedOperatorError: Unsupported ONNX operator NonMaxSuppression at node "Relu_0"/);
  assert.match(r.stderr, /agreed mode/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.out')), []);
});

test('verity compile --tolerance prints the widths it chose, writes them to report.json, and refuses it without calibration inputs', () => {
  writeFileSync(join(dir, 'tiny.onnx'), TINY_ONNX);
  writeFileSync(join(dir, 'cal.json'), JSON.stringify({ input_data: tinySamples(32) }));
  const out = join(dir, 'tuned');
  const r = verity('compile', join(dir, 'tiny.onnx'), '--out', out, '--calibration', join(dir, 'cal.json'), '--tolerance', '2', '--backend', 'r1cs');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /precision: \d+-bit weights, \d+-bit activations.*within --tolerance 2% \(largest calibration error \d+\.\d\d% of the output range\)/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.precision.tolerance, 0.02);
  assert.ok(report.precision.calibrationError <= 0.02);
  const refused = verity('compile', join(dir, 'tiny.onnx'), '--out', join(dir, 'untuned'), '--tolerance', '2');
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^error: IncompatibleOptionsError: .*--tolerance 2.*no --calibration/m);
  assert.equal(existsSync(join(dir, 'untuned')), false);
});

test('verity compile refuses a file that is not ONNX', () => {
  writeFileSync(join(dir, 'junk.onnx'), 'definitely not protobuf');
  const r = verity('compile', join(dir, 'junk.onnx'), '--out', join(dir, 'junk'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /MalformedModelError/);
});

test('verity alone prints every command and exits 2; --help and help print it and exit 0', () => {
  const bare = verity();
  assert.equal(bare.status, 2);
  assert.equal(bare.stdout, `${overview()}\n`);
  for (const args of [['--help'], ['help'], ['-h']]) {
    const r = verity(...args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${overview()}\n`);
  }
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

/** Every command and group as typed after `verity`. */
const everyCommand = [...COMMANDS.map((c) => c.command), ...GROUPS];

test('help on every command: `<command> --help` and `help <command>` print its synopsis and options, the same text', () => {
  for (const c of COMMANDS) {
    const words = c.command.split(' ');
    const text = helpFor([...words, '--help'])!;
    assert.equal(helpFor(['help', ...words]), text, c.command);
    assert.equal(helpFor([...words, 'some-arg', '-h']), text, c.command);
    assert.ok(text.startsWith(`Usage: ${c.synopsis}\n`), c.command);
    assert.ok(text.includes(c.options), c.command);
    assert.ok(overview().includes(c.options), c.command);
  }
  for (const group of GROUPS) {
    const text = helpFor([group, '--help'])!;
    for (const c of COMMANDS.filter((e) => e.command.startsWith(`${group} `))) assert.ok(text.includes(c.options), c.command);
  }
  assert.equal(helpFor(['compile', 'm.onnx', '--', '--help']), undefined); // after --, --help is an argument
  assert.throws(() => helpFor(['help', 'bogus']), (e) => e instanceof UnknownCommandError && e.command === 'bogus');
  assert.throws(() => helpFor(['node', 'bogus', '--help']), (e) => e instanceof UnknownCommandError && e.command === 'node bogus');
});

test('verity <command> --help exits 0 and prints the usage, for every command and group', async () => {
  const run = (args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args]);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  const queue = everyCommand.map((c) => [...c.split(' '), '--help']);
  queue.push(['help', 'node', 'stake'], ['help', 'compile']);
  // Three at a time: each process loads the whole CLI.
  await Promise.all([0, 1, 2].map(async () => {
    for (let args = queue.shift(); args; args = queue.shift()) {
      const r = await run(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, `${helpFor(args)}\n`, args.join(' '));
    }
  }));
});

test('user mistakes are typed errors carrying the command, path or URL', async () => {
  const unknownOption = Object.assign(new TypeError("Unknown option '--frob'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--frob\"'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  const usage = userError(unknownOption, ['node', 'stake', '--frob']);
  assert.ok(usage instanceof UsageError);
  assert.equal(usage.command, 'node stake');
  assert.equal(usage.problem, "Unknown option '--frob'");
  const missing = userError(Object.assign(new Error('ENOENT'), { code: 'ENOENT', path: 'nope.json' }), ['verify']);
  assert.ok(missing instanceof FileNotFoundError);
  assert.equal(missing.path, 'nope.json');
  const rpc = userError(new HttpRequestError({ url: 'http://127.0.0.1:1', details: 'fetch failed' }), ['deploy']);
  assert.ok(rpc instanceof RpcUnreachableError);
  assert.equal(rpc.url, 'http://127.0.0.1:1');
  assert.equal(rpc.reason, 'fetch failed');
  assert.equal(userError(new TypeError('a bug'), ['compile']), undefined); // a bug keeps its stack
  assert.throws(() => parseIntegerOption('--input-bits', '12', { allowed: [8, 16] }), (e) => e instanceof OptionValueError && e.option === '--input-bits' && e.value === '12');
  assert.throws(() => parseIntegerOption('--port', '70000', { min: 0, max: 65_535 }), (e) => e instanceof OptionValueError && e.value === '70000');
  assert.equal(parseIntegerOption('--batch', undefined), undefined);
  assert.throws(() => parseBigIntOption('--binding', '1e3'), (e) => e instanceof OptionValueError && e.option === '--binding');
  assert.equal(parseBigIntOption('--binding', '0x2a'), 42n);
  assert.equal(parsePercentOption('--tolerance', '1'), 0.01);
  assert.equal(parsePercentOption('--tolerance', '0.5'), 0.005);
  assert.equal(parsePercentOption('--tolerance', undefined), undefined);
  for (const bad of ['0', '100', '-1', '1%', 'abc', '1e-2']) {
    assert.throws(() => parsePercentOption('--tolerance', bad), (e) => e instanceof OptionValueError && e.option === '--tolerance' && e.value === bad);
  }
});

test('each user mistake prints one `error: <Name>:` line naming the command, file, directory or URL, exits 2, no stack', async () => {
  const bogus = verity('bogus');
  refused(bogus, 'UnknownCommandError');
  assert.match(bogus.stderr, /"bogus"/);
  refused(verity('node', 'bogus'), 'UnknownCommandError');
  refused(verity('help', 'bogus'), 'UnknownCommandError');
  refused(verity('compile', '--frob'), 'UsageError');
  refused(verity('compile', 'm.onnx'), 'UsageError'); // no --out
  refused(verity('compile', 'm.onnx', '--out', join(dir, 'o'), '--input-bits', '12'), 'OptionValueError');
  refused(verity('compile', 'm.onnx', '--out', join(dir, 'o'), '--tolerance', '0'), 'OptionValueError');
  refused(verity('compile', 'm.onnx', '--out', join(dir, 'o'), '--activation-bits', 'x'), 'OptionValueError');
  refused(verity('prove', compiled.dir, '--input', join(dir, 'input.json'), '--out', join(dir, 'x.json'), '--binding', 'abc'), 'OptionValueError');
  const nope = join(dir, 'nope.json');
  const missingFile = verity('verify', compiled.dir, nope);
  refused(missingFile, 'FileNotFoundError');
  assert.ok(missingFile.stderr.split('\n')[0]!.endsWith(nope));
  const noDir = join(dir, 'not-compiled');
  const prove = verity('prove', noDir, '--input', nope, '--out', join(dir, 'x.json'));
  refused(prove, 'CompiledDirNotFoundError');
  assert.ok(prove.stderr.includes(`"${noDir}"`));
  // A port nothing listens on.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  const url = `http://127.0.0.1:${port}`;
  const rpc = spawnSync(process.execPath, [bin, 'deploy', '--rpc', url], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, VERITY_PRIVATE_KEY: `0x${'ab'.repeat(32)}` } });
  refused(rpc, 'RpcUnreachableError');
  assert.ok(rpc.stderr.split('\n')[0]!.includes(`127.0.0.1:${port}`));
});
