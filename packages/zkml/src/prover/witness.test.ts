// The warm witness generator against snarkjs's per-call one: the same .wtns bytes, for
// witnesses computed one after another and at once on one instance.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import { Prover, quantizeInput, releaseCurves } from '../index.js';
import { WitnessGenerator } from './witness.js';
import { tinyCompiled, tinySamples } from '../../test/fixtures.js';

after(releaseCurves);

test('a warm witness generator writes snarkjs\'s witness byte for byte, in sequence and for concurrent calls', async () => {
  const { compiled } = await tinyCompiled();
  const prover = await Prover.load(compiled.dir, { backend: 'snarkjs' });
  const wasm = readFileSync(compiled.path('wasm'));
  const inputs = tinySamples(4, 17).map((x, i) => prover.circuitInputs(quantizeInput(compiled.model, x), BigInt(i + 1)));
  const expected = await Promise.all(inputs.map(async (inp) => {
    const out: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
    await snarkjs.wtns.calculate(inp, { type: 'mem', data: wasm }, out);
    return Buffer.from(out.data!);
  }));
  const generator = new WitnessGenerator(wasm);
  for (const [i, inp] of inputs.entries()) assert.deepEqual(Buffer.from(await generator.calculate(inp)), expected[i]);
  const concurrent = await Promise.all(inputs.map((inp) => generator.calculate(inp)));
  concurrent.forEach((w, i) => assert.deepEqual(Buffer.from(w), expected[i], `concurrent witness ${i}`));
  // a bad input fails its own call only
  await assert.rejects(generator.calculate({ u: ['1'], binding: '0' }));
  assert.deepEqual(Buffer.from(await generator.calculate(inputs[0]!)), expected[0]);
});
