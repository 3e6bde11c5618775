// The output words are one format with three readers: the circuit packs them (zkml), the
// Coprocessor decodes them on chain, and the sdk decodes them off chain. zkml does not import
// the sdk, so this checks that the two TypeScript readers agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unpackOutputs } from '../../zkml/src/io/commit.js';
import type { Layout } from '../../zkml/src/io/layout.js';
import { OUTPUT_WORD_BITS as ZKML_OUTPUT_WORD_BITS } from '../../zkml/src/quantize/quantize.js';
import { decodeOutputWords, OUTPUT_WORD_BITS } from '../src/proof.js';

test('the sdk decodes output words as zkml unpacks them: the same word width and the same values', () => {
  assert.equal(OUTPUT_WORD_BITS, ZKML_OUTPUT_WORD_BITS);
  let seed = 7n;
  const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 64n));
  for (const outputBits of [12, 20, 32, 62, 124]) {
    for (const outputCount of [1, 3, 9, 40]) {
      const outputsPerWord = Math.floor(OUTPUT_WORD_BITS / outputBits);
      const outputWords = Math.ceil(outputCount / outputsPerWord);
      const layout = { outputCount, outputBits, outputsPerWord, outputWords } as Layout;
      const values = Array.from({ length: outputCount }, () => (next() % (1n << BigInt(outputBits))) - (1n << BigInt(outputBits - 1)));
      const words = Array.from({ length: outputWords }, (_, w) =>
        values.slice(w * outputsPerWord, (w + 1) * outputsPerWord).reduce((acc, v, i) => acc | ((v + (1n << BigInt(outputBits - 1))) << BigInt(outputBits * i)), 0n));
      assert.deepEqual(unpackOutputs(layout, words), values, `zkml, ${outputCount} outputs of ${outputBits} bits`);
      assert.deepEqual(decodeOutputWords(layout, words), values, `sdk, ${outputCount} outputs of ${outputBits} bits`);
    }
  }
});
