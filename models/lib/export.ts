// Writes a trained demo model and the figures it was judged by: <name>.onnx, calibration.json,
// samples.json and metrics.json. The float model is run by onnxruntime-web on the held-out set,
// the quantised model by the integer semantics the circuit enforces, so metrics.json records
// both and how often they agree.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { buildMlpOnnx, importGraph, inferQuantized, loadOnnx, quantize, quantizeInput, dequantizeOutput } from '@verity/zkml';
import { mlpLayers, type MlpParams } from './train.js';

export type ExportSpec = {
  dir: string;
  name: string;
  params: MlpParams;
  /** how the data was made, for metrics.json (e.g. the simulation's file and seed) */
  dataset: string;
  architecture: string;
  calibration: number[][];
  heldOut: { X: number[][]; Y: (number | number[])[] };
  kind: 'classifier' | 'regressor';
  /** demo inputs with whatever context explains them */
  samples: Record<string, unknown>[];
  extra?: Record<string, unknown>;
};

export async function exportModel(s: ExportSpec): Promise<Record<string, unknown>> {
  const inputSize = s.params.w1[0]!.length;
  const onnxBytes = buildMlpOnnx({ inputSize, producer: `verity models/${s.name}/train.ts`, layers: mlpLayers(s.params) });
  const { X, Y } = s.heldOut;
  const session = await ort.InferenceSession.create(onnxBytes);
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(X.flat()), [X.length, inputSize]) });
  const flat = out[session.outputNames[0]!]!.data as Float32Array;
  const width = flat.length / X.length;
  const floats = X.map((_, i) => Array.from(flat.slice(i * width, (i + 1) * width)));
  const q = quantize(importGraph(loadOnnx(onnxBytes)), { calibration: s.calibration });
  // Held-out rows past the calibrated range saturate here, as the deployed model would need --clamp for them.
  const quants = X.map((x) => dequantizeOutput(q, inferQuantized(q, quantizeInput(q, x, { clamp: true }))));
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  const metrics: Record<string, unknown> = { dataset: s.dataset, heldOut: X.length, architecture: s.architecture };
  if (s.kind === 'classifier') {
    const acc = (preds: number[][]) => +(preds.filter((p, i) => argmax(p) === Y[i]).length / X.length).toFixed(4);
    metrics.floatAccuracyHeldOut = acc(floats);
    metrics.quantizedAccuracyHeldOut = acc(quants);
    metrics.floatQuantizedAgreement = +(floats.filter((f, i) => argmax(f) === argmax(quants[i]!)).length / X.length).toFixed(4);
  } else {
    const mae = (preds: number[][]) => +(preds.reduce((sum, p, i) => sum + Math.abs(p[0]! - (Y[i] as number[])[0]!), 0) / X.length).toFixed(4);
    metrics.floatMaeHeldOut = mae(floats);
    metrics.quantizedMaeHeldOut = mae(quants);
    metrics.maxFloatQuantizedGap = +Math.max(...floats.map((f, i) => Math.abs(f[0]! - quants[i]![0]!))).toFixed(4);
  }
  Object.assign(metrics, s.extra);
  writeFileSync(join(s.dir, `${s.name}.onnx`), onnxBytes);
  writeFileSync(join(s.dir, 'calibration.json'), JSON.stringify({ input_data: s.calibration.map((r) => r.map((v) => +v.toFixed(4))) }) + '\n');
  writeFileSync(join(s.dir, 'samples.json'), JSON.stringify(s.samples, null, 1) + '\n');
  writeFileSync(join(s.dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  return metrics;
}
