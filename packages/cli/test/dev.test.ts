import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'verity.mjs');

test('verity dev --once runs the whole demo (two proved, one agreed-mode request) on its own anvil, exits 0 and leaves no anvil behind', async () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /anvil started\s+http:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stdout, /SpamGuard says SPAM .*label: spam/);
  assert.match(r.stdout, /SpamGuard says not spam .*label: ham/);
  assert.match(r.stdout, /committee #3\s+3 members drawn by stake/);
  assert.match(r.stdout, /accepted #3\s+"loved" by 3 of 3 \(commit-reveal\)/);
  assert.match(r.stdout, /finalised #3\s+"loved" delivered by callback/);
  assert.match(r.stdout, /demo complete\s+2 proved answers and 1 agreed answer/);
  const rpc = /anvil started\s+(http:\S+)/.exec(r.stdout)![1]!;
  await assert.rejects(fetch(rpc, { method: 'POST', body: '{}' }), 'anvil still answers after verity exited');
});

test('verity dev --once fails with a non-zero exit when the chain is unreachable', () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once', '--rpc', 'http://127.0.0.1:1'], { encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(r.status, 0);
});

test('verity dev --once --nodes 3: three staked nodes, each request served by the node drawn for it', () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once', '--nodes', '3'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const n of [1, 2, 3]) assert.match(r.stdout, new RegExp(`node ${n} staked\\s+0x[0-9a-fA-F]{40}: ${n} ETH`));
  const primaries = [...r.stdout.matchAll(/request #(\d+).*primary node (\d)/g)].map((m) => [m[1], m[2]]);
  const provers = [...r.stdout.matchAll(/proved #(\d+)\s+by node (\d)/g)].map((m) => [m[1], m[2]]);
  assert.equal(primaries.length, 2);
  // Inside its window only the primary may fulfil, and the primary proves at once.
  assert.deepEqual(provers, primaries);
  assert.match(r.stdout, /demo complete\s+2 proved answers/);
});
