import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'verity.mjs');

test('verity dev --once runs the whole demo on its own anvil, exits 0 and leaves no anvil behind', async () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /anvil started\s+http:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stdout, /SpamGuard says SPAM .*label: spam/);
  assert.match(r.stdout, /SpamGuard says not spam .*label: ham/);
  assert.match(r.stdout, /demo complete\s+2 proved answers/);
  const rpc = /anvil started\s+(http:\S+)/.exec(r.stdout)![1]!;
  await assert.rejects(fetch(rpc, { method: 'POST', body: '{}' }), 'anvil still answers after verity exited');
});

test('verity dev --once fails with a non-zero exit when the chain is unreachable', () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once', '--rpc', 'http://127.0.0.1:1'], { encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(r.status, 0);
});
