// The node's and the worker's `prover` field: which Groth16 engine proves (native or snarkjs).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadNodeConfig, loadWorkerConfig } from '../src/config.js';

test('config: prover { backend, threads } chooses the Groth16 engine for the node and the worker; a bad one is a ConfigError', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'verity-cfg-')), 'node.json');
  const models = [{ modelId: `0x${'33'.repeat(32)}`, dir: 'build/m' }];
  const node = (prover?: unknown) => {
    writeFileSync(file, JSON.stringify({ rpc: 'http://127.0.0.1:8545', coprocessor: `0x${'22'.repeat(20)}`, models, prover }));
    return loadNodeConfig(file, { VERITY_PRIVATE_KEY: `0x${'11'.repeat(32)}` });
  };
  const worker = (prover?: unknown) => {
    writeFileSync(file, JSON.stringify({ redis: 'redis://127.0.0.1:6379', models, prover }));
    return loadWorkerConfig(file, {});
  };
  assert.equal(node().prover, undefined);
  assert.deepEqual(node({ backend: 'snarkjs' }).prover, { backend: 'snarkjs', threads: undefined });
  assert.deepEqual(worker({ backend: 'native', threads: 1 }).prover, { backend: 'native', threads: 1 });
  const field = (f: string) => (e: unknown) => e instanceof ConfigError && e.shortMessage.includes(f);
  assert.throws(() => node({ backend: 'gpu' }), field('prover.backend'));
  assert.throws(() => worker({ threads: 0 }), field('prover.threads'));
  assert.throws(() => node('native'), field('prover'));
});
