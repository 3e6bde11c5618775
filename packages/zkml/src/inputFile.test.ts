import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readInputFile, readSamplesFile } from './inputFile.js';
import { InputFormatError } from './errors/input.js';

test('readInputFile accepts the input_data layout and a plain array', () => {
  assert.deepEqual(readInputFile('{"input_data": [[0.5, 1, -2]]}'), [0.5, 1, -2]);
  assert.deepEqual(readInputFile('[0.5, 1, -2]'), [0.5, 1, -2]);
});

test('readInputFile rejects other layouts with InputFormatError', () => {
  assert.throws(() => readInputFile('{"inputs": [1]}'), InputFormatError);
  assert.throws(() => readInputFile('not json'), InputFormatError);
  assert.throws(() => readInputFile('"text"'), InputFormatError);
});

test('readSamplesFile reads one sample per inner array', () => {
  assert.deepEqual(readSamplesFile('{"input_data": [[1, 2], [3, 4]]}'), [[1, 2], [3, 4]]);
  assert.deepEqual(readSamplesFile('[1, 2]'), [[1, 2]]);
});
