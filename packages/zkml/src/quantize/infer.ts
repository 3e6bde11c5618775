import { InputShapeError, InputValueError } from '../errors/input.js';
import type { ImportedModel } from '../graph/import.js';
import { roundingTerm, type QuantizedModel } from './quantize.js';

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

/** Floor division for bigints (rounds towards minus infinity, as the circuit does). */
function floorDiv(a: bigint, shift: number): bigint {
  return a >> BigInt(shift); // BigInt >> is an arithmetic shift: floor for negatives
}

/**
 * Runs the quantised model exactly as the circuit does, on the offset-encoded inputs
 * `u`. Returns the signed integer outputs at `model.outputScale`.
 */
export function inferQuantized(model: QuantizedModel, u: readonly bigint[]): bigint[] {
  const half = 1n << BigInt(model.inputBits - 1);
  let a = u.map((v) => v - half);
  for (const l of model.layers) {
    const round = roundingTerm(l.shift);
    a = l.weights.map((row, o) => {
      let acc = l.bias[o]! + round;
      for (let i = 0; i < row.length; i++) acc += row[i]! * a[i]!;
      const q = floorDiv(acc, l.shift);
      return l.relu && q < 0n ? 0n : q;
    });
  }
  return a;
}

/** Converts integer outputs at `model.outputScale` back to floats. */
export function dequantizeOutput(model: QuantizedModel, out: readonly bigint[]): number[] {
  return out.map((v) => Number(v) / 2 ** model.outputScale);
}

/** The float model in plain JavaScript (the reference the benchmark compares proving with). */
export function inferFloat(model: ImportedModel, x: readonly number[]): number[] {
  let a = x as number[];
  for (const l of model.layers) {
    const next = new Array<number>(l.weights.length);
    for (let o = 0; o < l.weights.length; o++) {
      const row = l.weights[o]!;
      let s = l.bias[o]!;
      for (let i = 0; i < row.length; i++) s += row[i]! * a[i]!;
      next[o] = l.relu && s < 0 ? 0 : s;
    }
    a = next;
  }
  return a;
}
