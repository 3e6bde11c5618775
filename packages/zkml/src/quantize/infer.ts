import { InputRangeError, InputShapeError, InputValueError } from '../errors/input.js';
import { floatInput, runGraph, type ImportedModel } from '../graph/import.js';
import { Context } from '../lower/context.js';
import { runStep } from '../lower/steps.js';
import type { QuantizedModel } from './quantize.js';

/** Number of values in one model input. */
export const inputSize = (m: { inputShape: number[] }) => m.inputShape.reduce((a, b) => a * b, 1);

/**
 * The encoded values `[lo, hi]` an input `u` may take: the model's `inputBounds`, else the whole
 * width `[0, 2^inputBits - 1]`.
 */
export function inputBounds(model: Pick<QuantizedModel, 'inputBits' | 'inputBounds'>): readonly [number, number] {
  return model.inputBounds ?? [0, 2 ** model.inputBits - 1];
}

/**
 * The floats an input value may take: `([lo, hi] - 2^(bits-1)) / 2^inputScale` for the encoded
 * bounds of {@link inputBounds}, the range the calibration inputs chose at compile time
 * (report.json `quantization.inputRange`): `[-2^(bits-1), 2^(bits-1) - 1] / 2^inputScale`, or
 * its non-negative half when every calibration value was non-negative.
 */
export function inputRange(model: Pick<QuantizedModel, 'inputBits' | 'inputScale' | 'inputBounds'>): readonly [number, number] {
  const half = 2 ** (model.inputBits - 1);
  const [lo, hi] = inputBounds(model);
  return [(lo - half) / 2 ** model.inputScale, (hi - half) / 2 ** model.inputScale];
}

/** An input feature that `clamp` saturated to the nearest bound of {@link inputRange}. */
export type ClampedFeature = { index: number; value: number; clampedTo: number };

/** Each value's fixed-point integer, before any range check (a finite float may still round to ±Infinity). */
function fixedPoint(model: QuantizedModel, x: readonly number[]): number[] {
  const n = inputSize(model);
  if (x.length !== n) throw new InputShapeError({ expected: model.inputShape, got: x.length });
  return x.map((v, index) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputValueError({ index, value: v });
    // An integer input read as ONNX reads it: rounding 1.5 would prove an input nobody gave.
    if (model.inputKind && (!Number.isInteger(v) || (model.inputKind === 'bool' && v !== 0 && v !== 1))) throw new InputValueError({ index, value: v, expected: model.inputKind });
    return Math.round(v * 2 ** model.inputScale);
  });
}

/**
 * Quantises float inputs to the unsigned on-chain encoding: `round(x * 2^scale)` plus the
 * offset `2^(bits-1)`. Throws {@link InputShapeError} for a wrong number of values,
 * {@link InputValueError} for a non-finite value (or a non-integer one for an integer input), and {@link InputRangeError} for a value
 * outside {@link inputRange}, unless `clamp` saturates it to the nearest bound (see
 * {@link clampedFeatures} for which ones).
 *
 * @example
 * const u = quantizeInput(model, [0.1, 0.5, ...]) // [134n, 160n, ...]
 */
export function quantizeInput(model: QuantizedModel, x: readonly number[], options: { clamp?: boolean } = {}): bigint[] {
  const half = 2 ** (model.inputBits - 1);
  const [lo, hi] = inputBounds(model);
  return fixedPoint(model, x).map((q, index) => {
    let u = q + half;
    if (u < lo || u > hi) {
      if (!options.clamp) throw new InputRangeError({ index, value: x[index]!, range: inputRange(model) });
      u = u < lo ? lo : hi;
    }
    return BigInt(u);
  });
}

/**
 * The features `quantizeInput(model, x, { clamp: true })` saturates, with the value each
 * one becomes; empty when every value is in range.
 *
 * @example
 * clampedFeatures(model, [10, -1, 2]) // [{ index: 0, value: 10, clampedTo: 3.96875 }]
 */
export function clampedFeatures(model: QuantizedModel, x: readonly number[]): ClampedFeature[] {
  const [lo, hi] = inputRange(model);
  const [ulo, uhi] = inputBounds(model);
  const half = 2 ** (model.inputBits - 1);
  return fixedPoint(model, x).flatMap((q, index) => (q + half < ulo || q + half > uhi ? [{ index, value: x[index]!, clampedTo: q + half < ulo ? lo : hi }] : []));
}

/** Every signal of the integer program for encoded inputs `u`, as the circuit's witness holds them. */
export function runProgram(model: QuantizedModel, u: readonly bigint[]): bigint[] {
  const w = new Array<bigint>(model.signalCount);
  u.forEach((v, i) => (w[i] = v));
  for (const s of model.steps) runStep(s, w);
  return w;
}

/**
 * Runs the quantised model exactly as the circuit does, on the offset-encoded inputs
 * `u`. Returns the signed integer outputs at `model.outputScale`.
 */
export function inferQuantized(model: QuantizedModel, u: readonly bigint[]): bigint[] {
  const w = runProgram(model, u);
  return model.outputs.map((id) => w[id]!);
}

/** Converts integer outputs at `model.outputScale` back to floats. */
export function dequantizeOutput(model: QuantizedModel, out: readonly bigint[]): number[] {
  return out.map((v) => Number(v) / 2 ** model.outputScale);
}

/** The float model in plain JavaScript (the reference the benchmark compares proving with). */
export function inferFloat(model: ImportedModel, x: readonly number[]): number[] {
  const ctx = new Context('float', new Map(), { weightBits: 10, activationBits: 16 });
  const out = runGraph(ctx, model.graph, floatInput(model.inputShape, x));
  return out.kind === 'const' ? Array.from(out.data) : [];
}
