import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inferQuantized, Prover, quantizeInput, releaseCurves, verifyProofFile } from '@verity/zkml';
import { cnnSamples, shardedCompiled, tinyCompiled } from '../../zkml/test/fixtures.js';
import { ArtefactMismatchError, fetchArtefacts, NODE_FILES, nodeFiles, packArtefacts } from '../src/artefacts.js';
import { ConfigError, loadNodeConfig } from '../src/config.js';

let source: string;
let hash: string;

before(async () => {
  const { compiled } = await tinyCompiled();
  source = mkdtempSync(join(tmpdir(), 'verity-art-'));
  cpSync(compiled.dir, source, { recursive: true });
  hash = packArtefacts(source);
});

after(releaseCurves);

test('artefacts are fetched by content hash from a directory and from http, and verified', async () => {
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);
  const cache = mkdtempSync(join(tmpdir(), 'verity-cache-'));
  const dest = await fetchArtefacts({ source, hash, cacheDir: cache });
  for (const f of NODE_FILES) assert.ok(existsSync(join(dest, f)), f);

  const server = createServer((req, res) => { readFile(join(source, req.url!)).then((b) => res.end(b), () => { res.statusCode = 404; res.end(); }); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const viaHttp = mkdtempSync(join(tmpdir(), 'verity-cache-'));
    const d = await fetchArtefacts({ source: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hash, cacheDir: viaHttp });
    assert.ok(existsSync(join(d, 'circuit.zkey')));
  } finally {
    server.close();
  }
});

test('a tampered file is refused with a typed error naming it, and nothing is installed', async () => {
  const bad = mkdtempSync(join(tmpdir(), 'verity-bad-'));
  cpSync(source, bad, { recursive: true });
  writeFileSync(join(bad, 'circuit.zkey'), 'not the proving key');
  const cache = mkdtempSync(join(tmpdir(), 'verity-cache-'));
  await assert.rejects(fetchArtefacts({ source: bad, hash, cacheDir: cache }), (e) => e instanceof ArtefactMismatchError && /circuit\.zkey/.test(e.message));
  assert.deepEqual(readdirSync(cache), [], 'no partial artefacts');
  await assert.rejects(fetchArtefacts({ source, hash: `sha256:${'0'.repeat(64)}`, cacheDir: cache }), (e) => e instanceof ArtefactMismatchError && /manifest\.json/.test(e.message));
  assert.deepEqual(readdirSync(cache), []);
});

test('a model compiled in parts travels with its link file and every part\'s witness generator, and proves from the fetched copy', async () => {
  const { compiled } = await shardedCompiled();
  const dir = mkdtempSync(join(tmpdir(), 'verity-art-'));
  cpSync(compiled.dir, dir, { recursive: true });
  const h = packArtefacts(dir);
  const files = nodeFiles(dir);
  assert.ok(files.includes('link.json'));
  assert.equal(files.filter((f) => /^circuit_js\/part\d+\.(wasm|map)$/.test(f)).length, 2 * (compiled.report.shards!.parts - 1));
  const dest = await fetchArtefacts({ source: dir, hash: h, cacheDir: mkdtempSync(join(tmpdir(), 'verity-cache-')) });
  for (const f of files) assert.ok(existsSync(join(dest, f)), f);
  const prover = await Prover.load(dest);
  const x = cnnSamples(1, 6, 8)[0]!;
  const proof = await prover.prove({ input: x }, 3n);
  assert.deepEqual(proof.outputIntegers, inferQuantized(compiled.model, quantizeInput(compiled.model, x)).map(String));
  assert.equal(await verifyProofFile(dest, proof), true);

  // A part's wire map altered at the source is refused like any other file.
  const bad = mkdtempSync(join(tmpdir(), 'verity-bad-'));
  cpSync(dir, bad, { recursive: true });
  writeFileSync(join(bad, 'circuit_js', 'part1.map'), Buffer.alloc(8));
  await assert.rejects(fetchArtefacts({ source: bad, hash: h, cacheDir: mkdtempSync(join(tmpdir(), 'verity-cache-')) }), (e) => e instanceof ArtefactMismatchError && /part1\.map/.test(e.message));
});

test('node config: every problem is a ConfigError naming its field; the environment overrides the file', () => {
  const d = mkdtempSync(join(tmpdir(), 'verity-cfg-'));
  const file = join(d, 'node.json');
  const key = `0x${'11'.repeat(32)}`;
  const good = { rpc: 'http://127.0.0.1:8545', coprocessor: `0x${'22'.repeat(20)}`, models: [{ modelId: `0x${'33'.repeat(32)}`, artefacts: hash, source: 'build/m' }] };
  const load = (cfg: unknown, env: Record<string, string> = { VERITY_PRIVATE_KEY: key }) => { writeFileSync(file, JSON.stringify(cfg)); return loadNodeConfig(file, env); };
  const c = load(good);
  assert.equal(c.store, join(d, 'data', 'node.sqlite'));
  assert.equal((c.models[0] as { source: string }).source, join(d, 'build', 'm'), 'paths relative to the config file');
  assert.equal(load(good, { VERITY_PRIVATE_KEY: key, VERITY_RPC_URL: 'http://other:1', VERITY_STATUS_PORT: '9464' }).rpc, 'http://other:1');
  const field = (f: string) => (e: unknown) => e instanceof ConfigError && e.shortMessage.includes(f);
  assert.throws(() => load(good, {}), field('privateKey'));
  assert.throws(() => load({ ...good, rpc: 'localhost' }), field('rpc'));
  assert.throws(() => load({ ...good, coprocessor: '0x12' }), field('coprocessor'));
  assert.throws(() => load({ ...good, models: [] }), field('models'));
  assert.throws(() => load({ ...good, models: [{ modelId: good.models[0]!.modelId, artefacts: 'md5:x', source: 'a' }] }), field('models[0].artefacts'));
  assert.throws(() => load({ ...good, pollMs: -1 }), field('pollMs'));
  assert.throws(() => load({ ...good, reorgDepth: -1 }), field('reorgDepth'));
  assert.throws(() => load({ ...good, optIn: 'yes' }), field('optIn'));
  const tuned = load({ ...good, reorgDepth: 0, optIn: false, deploymentBlock: 1234 });
  assert.deepEqual([tuned.reorgDepth, tuned.optIn, tuned.deploymentBlock], [0, false, 1234]);
  assert.deepEqual([c.reorgDepth, c.optIn], [undefined, undefined], 'defaults are the node\'s (12 blocks, opt in)');
  writeFileSync(file, '{ not json');
  assert.throws(() => loadNodeConfig(file, { VERITY_PRIVATE_KEY: key }), field('file'));
});
