import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { importGraph, loadOnnx, quantize, quantizeInput, inferQuantized, dequantizeOutput } from './src/index.js';
import { selectOutput } from './src/graph/import.js';
const [name, output] = process.argv.slice(2);
const bytes = readFileSync(`/tmp/skl17/ex/${name}/model.onnx`);
const test = JSON.parse(readFileSync(`/tmp/skl17/ex/${name}/test.json`, 'utf8'));
const cal = JSON.parse(readFileSync(`/tmp/skl17/ex/${name}/calibration.json`, 'utf8'));
try {
  const g = selectOutput(loadOnnx(bytes), output);
  const m = quantize(importGraph(g), { calibration: cal, inputBits: Number(process.env.BITS ?? 8) as 8 | 16 });
  const want: number[][] = test.outputs[g.outputs[0]!.name];
  let maxErr = 0, agree = 0;
  test.inputs.forEach((x: number[], i: number) => {
    const got = dequantizeOutput(m, inferQuantized(m, quantizeInput(m, x)));
    got.forEach((v, j) => { maxErr = Math.max(maxErr, Math.abs(v - want[i]![j]!)); });
    const am = (a: number[]) => a.reduce((b, v, k) => (v > a[b]! ? k : b), 0);
    if (got.length === 1 ? Math.abs(got[0]! - want[i]![0]!) < 1e-9 : am(got) === am(want[i]!)) agree++;
  });
  console.log(name, output ?? '(first)', 'steps', m.steps.length, 'maxErr', maxErr.toPrecision(3), 'agree', agree, '/', test.inputs.length);
} catch (e) { console.log(name, 'ERR', (e as Error).name, (e as Error).message); }
