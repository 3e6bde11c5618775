// Writes test/golden/<name>.onnx and <name>.json (inputs and onnxruntime-web outputs); names given
// as arguments (`npm run golden -w packages/zkml -- pow argmin`) write only those fixtures.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { buildOnnx } from '../exports.js';
import { GOLDEN, goldenInputs } from './specs.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = new Set(process.argv.slice(2));
for (const spec of GOLDEN.filter((g) => only.size === 0 || only.has(g.name))) {
  const bytes = buildOnnx(spec.graph);
  const session = await ort.InferenceSession.create(bytes);
  const inputs = goldenInputs(spec);
  const expected: number[][] = [];
  for (const x of inputs) {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), spec.inputShape) });
    expected.push(Array.from(out[session.outputNames[0]!]!.data as ArrayLike<number | bigint>, Number));
  }
  writeFileSync(join(here, `${spec.name}.onnx`), bytes);
  writeFileSync(join(here, `${spec.name}.json`), `${JSON.stringify({ ops: spec.ops, inputShape: spec.inputShape, inputs, expected }, null, 0)}\n`);
  console.log(`${spec.name}: ${expected[0]!.length} outputs`);
}
