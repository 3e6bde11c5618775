// `verity deploy`'s durations and windows: what the command line accepts and refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurationError, formatDuration, parseDuration, parseWindows } from '../src/options.js';

test('durations: seconds or a whole number with s, m, h or d; anything else names the option and the value', () => {
  assert.deepEqual(['3600', '90s', '30m', '1h', '7d', ' 2d '].map((v) => parseDuration('--x', v)), [3600n, 90n, 1800n, 3600n, 604800n, 172800n]);
  for (const bad of ['', '-1', '1.5h', '1w', 'soon']) {
    assert.throws(() => parseDuration('--unbonding', bad), (e) => e instanceof DurationError && e.option === '--unbonding' && e.value === bad);
  }
  assert.deepEqual([604800n, 3600n, 90n, 120n, 0n].map(formatDuration), ['7 d', '1 h', '90 s', '2 min', '0 s']);
});

test('committee windows: four positive durations, propose, commit, reveal, appeal', () => {
  assert.deepEqual(parseWindows('30,30m,1h,5'), { propose: 30, commit: 1800, reveal: 3600, appeal: 5 });
  for (const bad of ['30,30,30', '30,30,30,30,30', '30,30,30,0', '30,30,x,5']) {
    assert.throws(() => parseWindows(bad), (e) => e instanceof DurationError && e.value === bad);
  }
});
