import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAnswer } from '../src/answer.js';

test('describeAnswer: a classifier\'s winning label, a named value, else the raw outputs', () => {
  assert.equal(describeAnswer([5.672, -3.412], { labels: ['not spam', 'spam'] }), 'not spam');
  assert.equal(describeAnswer([-1, 4, 2], { labels: ['clean', 'wash trading', 'rug pull'] }), 'wash trading');
  assert.equal(describeAnswer([0.71329], { name: 'score', digits: 3 }), 'score 0.713');
  assert.equal(describeAnswer([0.3231], { name: 'signal', multiplier: 100, unit: 'bp', digits: 0 }), 'signal 32 bp');
  // Nothing known, or a format that does not fit the outputs: the numbers, never a wrong label.
  assert.equal(describeAnswer([5.672, -3.412]), '5.672, -3.412');
  assert.equal(describeAnswer([1, 2, 3], { labels: ['a', 'b'] }), '1.000, 2.000, 3.000');
  assert.equal(describeAnswer([1, 2], { name: 'score' }), '1.000, 2.000');
});
