// What `verity register` and `verity deploy` refuse, without a chain: unpinned weights (attack 3),
// a dev setup off a devnet (attack 4), an admin delay operators cannot outrun (attack 6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkDeployParameters, DevSetupError, DurationError, formatDuration, isDevnet, parseDuration, parseWindows, registrationPolicy, SetupKind, UnpinnedWeightsError,
  UnsafeAdminDelayError, WeightsPinning,
} from '../src/checks.js';

const SEPOLIA = 11155111;
const dev = { insecure: true, note: 'INSECURE DEV SETUP: …' };
const ceremony = { insecure: false, note: 'ceremony' };
const report = (weightEncoding: 'constant' | 'committed' | 'signals', setup = ceremony, commitment = '12345') => ({
  weightEncoding, setup, weights: weightEncoding === 'committed' ? { commitment } : undefined,
});

test('devnets are chains 31337 and 1337 only', () => {
  assert.deepEqual([31337, 1337, 1, SEPOLIA, 8453].map(isDevnet), [true, true, false, false, false]);
});

test('weights as constants are pinned by the verifying key, committed weights by their commitment', () => {
  assert.deepEqual(registrationPolicy(report('constant'), { chainId: SEPOLIA }), { pinning: WeightsPinning.VerifyingKey, setup: SetupKind.Ceremony });
  assert.deepEqual(registrationPolicy(report('committed'), { chainId: SEPOLIA }), { pinning: WeightsPinning.Commitment, setup: SetupKind.Ceremony });
});

test('--weights signals is refused on every chain, even a devnet with --allow-dev-setup (attack 3)', () => {
  for (const chainId of [31337, SEPOLIA]) {
    assert.throws(() => registrationPolicy(report('signals', dev), { chainId, allowDevSetup: true }), (e) => e instanceof UnpinnedWeightsError && e.encoding === 'signals');
  }
  // A committed model whose report lost its commitment pins nothing either.
  assert.throws(() => registrationPolicy(report('committed', ceremony, '0'), { chainId: 31337 }), (e) => e instanceof UnpinnedWeightsError && e.encoding === 'committed');
});

test('a dev setup: a plain warning on a devnet, refused elsewhere, a loud warning with --allow-dev-setup (attack 4)', () => {
  const onDevnet = registrationPolicy(report('constant', dev), { chainId: 31337 });
  assert.equal(onDevnet.setup, SetupKind.Dev);
  assert.match(onDevnet.warning!, /^warning: INSECURE DEV SETUP/);
  assert.throws(() => registrationPolicy(report('constant', dev), { chainId: SEPOLIA }), (e) => e instanceof DevSetupError && e.chainId === SEPOLIA);
  const allowed = registrationPolicy(report('committed', dev), { chainId: SEPOLIA, allowDevSetup: true });
  assert.equal(allowed.setup, SetupKind.Dev);
  assert.equal(allowed.pinning, WeightsPinning.Commitment);
  assert.match(allowed.warning!, /!!! WARNING: INSECURE DEV SETUP ON A NON-DEVNET CHAIN !!!/);
  assert.equal(registrationPolicy(report('constant', ceremony), { chainId: SEPOLIA, allowDevSetup: true }).warning, undefined);
});

test('deploy refuses adminDelay <= unbondingPeriod off a devnet (attack 6)', () => {
  const day = 86_400n;
  for (const [adminDelay, unbondingPeriod] of [[7n * day, 7n * day], [1n * day, 7n * day]]) {
    assert.throws(
      () => checkDeployParameters({ chainId: SEPOLIA, adminDelay: adminDelay!, unbondingPeriod: unbondingPeriod! }),
      (e) => e instanceof UnsafeAdminDelayError && e.adminDelay === adminDelay && e.unbondingPeriod === unbondingPeriod && e.chainId === SEPOLIA,
    );
  }
  checkDeployParameters({ chainId: SEPOLIA, adminDelay: 7n * day + 1n, unbondingPeriod: 7n * day });
  checkDeployParameters({ chainId: 31337, adminDelay: 3600n, unbondingPeriod: 7n * day });
});

test('durations and committee windows', () => {
  assert.deepEqual(['3600', '90s', '30m', '1h', '7d'].map((v) => parseDuration('--x', v)), [3600n, 90n, 1800n, 3600n, 604800n]);
  for (const bad of ['', '-1', '1.5h', '1w', 'soon']) assert.throws(() => parseDuration('--unbonding', bad), (e) => e instanceof DurationError && e.option === '--unbonding' && e.value === bad);
  assert.deepEqual(parseWindows('30,30m,1h,5'), { propose: 30n, commit: 1800n, reveal: 3600n, appeal: 5n });
  for (const bad of ['30,30,30', '30,30,30,0', '30,30,x,5']) assert.throws(() => parseWindows(bad), DurationError);
  assert.deepEqual([604800n, 3600n, 90n, 120n].map(formatDuration), ['7 d', '1 h', '90 s', '2 min']);
});
