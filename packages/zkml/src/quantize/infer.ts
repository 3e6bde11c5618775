import { InputShapeError, InputValueError } from '../errors/input.js';
import { floatInput, runGraph, type ImportedModel } from '../graph/import.js';
import { Context } from '../lower/context.js';
import { runStep } from '../lower/steps.js';
import type { QuantizedModel } from './quantize.js';

/** Number of values in one model input. */
export const inputSize = (m: { inputShape: number[] }) => m.inputShape.reduce((a, b) => a * b, 1);

/**
 * Quantises float inputs to the unsigned on-chain encoding: `round(x * 2^scale)` clamped
 * to the signed range, plus the offset `2^(bits-1)`. Throws {@link InputShapeError} for a
 * wrong number of values and {@link InputValueError} for a non-finite value.
 *
 * @example
 * const u = quantizeInput(model, [0.1, 0.5, ...]) // [141n, 192n, ...]
 */
export function quantizeInput(model: QuantizedModel, x: readonly number[]): bigint[] {
  const n = inputSize(model);
  if (x.length !== n) throw new InputShapeError({ expected: model.inputShape, got: x.length });
  const half = 1n << BigInt(model.inputBits - 1);
  return x.map((v, index) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputValueError({ index, value: v });
    let q = BigInt(Math.round(v * 2 ** model.inputScale));
    if (q < -half) q = -half;
    if (q > half - 1n) q = half - 1n;
    return q + half;
  });
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
