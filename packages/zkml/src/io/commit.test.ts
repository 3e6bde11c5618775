import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeInputBytes, encodeInputBytes, packInputs, unpackOutputs } from './commit.js';
import type { Layout } from './layout.js';

const layout = (p: Partial<Layout>): Layout => ({
  inputCount: 40, inputWidth: 1, inputsPerChunk: 31, inputChunks: 2, outputCount: 3, outputBits: 20, outputsPerWord: 12, outputWords: 1, publicSignals: 3, inputVisibility: 'committed', ...p,
});

test('packInputs packs big-endian, 31 one-byte values per element, like the request bytes', () => {
  const u = Array.from({ length: 40 }, (_, i) => BigInt(i + 1));
  const [first, second] = packInputs(layout({}), u);
  const bytes = encodeInputBytes(layout({}), u);
  assert.equal(first, BigInt(`0x${bytes.slice(2, 2 + 62)}`));
  assert.equal(second, BigInt(`0x${bytes.slice(2 + 62)}`));
});

test('packInputs packs 15 two-byte values per element for 16-bit inputs', () => {
  const l = layout({ inputCount: 16, inputWidth: 2, inputsPerChunk: 15, inputChunks: 2 });
  const u = Array.from({ length: 16 }, () => 0xabcdn);
  const packed = packInputs(l, u);
  assert.equal(packed.length, 2);
  assert.equal(packed[1], 0xabcdn);
  assert.equal(packed[0]!.toString(16), 'abcd'.repeat(15));
});

test('unpackOutputs inverts the circuit packing (offset-encoded, first value lowest)', () => {
  const l = layout({});
  const values = [-5n, 0n, 524287n];
  const word = values.reduce((w, v, i) => w | ((v + (1n << 19n)) << BigInt(20 * i)), 0n);
  assert.deepEqual(unpackOutputs(l, [word]), values);
});

test('decodeInputBytes reads back what encodeInputBytes wrote, for 8- and 16-bit inputs', () => {
  const bytes8 = [0n, 1n, 127n, 128n, 255n];
  assert.deepEqual(decodeInputBytes(layout({}), encodeInputBytes(layout({}), bytes8)), bytes8);
  const wide = layout({ inputWidth: 2, inputsPerChunk: 15 });
  const values16 = [0n, 256n, 0xabcdn, 65535n];
  assert.equal(encodeInputBytes(wide, values16), '0x00000100abcdffff');
  assert.deepEqual(decodeInputBytes(wide, encodeInputBytes(wide, values16)), values16);
});
