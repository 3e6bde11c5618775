import { QuantizationOverflowError } from '../errors/quantize.js';
import type { ImportedModel } from '../graph/import.js';

/**
 * A dense layer in integers. Accumulator `acc = W x + b` is at scale `inScale + weightScale`;
 * it is divided by `2^shift` (round half up) to reach `outScale`. `accBits` is the signed
 * width that holds the worst case of `acc` for any input in range, which the circuit
 * range-checks with one bit decomposition.
 */
export type QuantizedLayer = {
  name: string;
  weights: bigint[][];
  bias: bigint[];
  relu: boolean;
  inScale: number;
  weightScale: number;
  outScale: number;
  shift: number;
  accBits: number;
  /** largest |value| this layer can output, over every input in range */
  outBound: bigint;
};

/** A model in fixed point: every scale is a power of two (`value = integer / 2^scale`). */
export type QuantizedModel = {
  inputShape: number[];
  outputShape: number[];
  /** width of one input value; inputs travel on chain as unsigned `value + 2^(inputBits-1)` */
  inputBits: number;
  inputScale: number;
  layers: QuantizedLayer[];
  outputScale: number;
  /** width of one offset-encoded output value in the packed public outputs */
  outputBits: number;
};

export type QuantizeOptions = {
  /** bits per input value: 8 or 16 (inputs are byte-aligned on chain). Default 8. */
  inputBits?: number;
  /** bits per weight, sign included. Default 10. */
  weightBits?: number;
  /** bits for hidden activations when calibration data is given. Default 16. */
  activationBits?: number;
  /** float sample inputs; without them inputs are assumed to lie in [-1, 1] */
  calibration?: number[][];
};

/** Bits a packed output word may use: below the BN254 field size with room to spare. */
export const OUTPUT_WORD_BITS = 248;

/** Largest accumulator width the circuit accepts (a bit decomposition must stay below the field size). */
export const MAX_ACC_BITS = 240;

const log2Floor = (x: number) => Math.floor(Math.log2(x));
const maxAbs = (xs: Iterable<number>) => { let m = 0; for (const x of xs) m = Math.max(m, Math.abs(x)); return m; };
const bitsFor = (bound: bigint) => bound.toString(2).length + 1; // signed: |v| <= bound < 2^(bits-1)

/** Scale (as a power of two) that maps `max` onto a signed `bits`-bit integer without overflow. */
export function scaleFor(max: number, bits: number): number {
  if (max === 0) return bits - 1;
  return log2Floor((2 ** (bits - 1) - 1) / max);
}

/** What is added before dividing by 2^shift so the division rounds half up (the circuit adds the same). */
export function roundingTerm(shift: number): bigint {
  return shift > 0 ? 1n << BigInt(shift - 1) : 0n;
}

/** Rounds `x * 2^scale` to the nearest integer. */
export function toFixed(x: number, scale: number): bigint {
  return BigInt(Math.round(x * 2 ** scale));
}

function floatForward(model: ImportedModel, x: number[]): number[][] {
  const acts: number[][] = [];
  let a = x;
  for (const l of model.layers) {
    a = l.weights.map((row, o) => row.reduce((s, w, i) => s + w * a[i]!, l.bias[o]!));
    if (l.relu) a = a.map((v) => Math.max(0, v));
    acts.push(a);
  }
  return acts;
}

/**
 * Chooses fixed-point scales and bit widths for a feed-forward model. Weights get the
 * largest power-of-two scale that fits `weightBits`; with calibration inputs, the input
 * scale and each hidden activation scale fit the observed range. Worst-case accumulator
 * bounds decide each layer's range-check width, so every in-range input can be proved.
 *
 * @example
 * const q = quantize(importGraph(loadOnnx(bytes)), { calibration: samples })
 */
export function quantize(model: ImportedModel, options: QuantizeOptions = {}): QuantizedModel {
  const inputBits = options.inputBits ?? 8;
  if (inputBits !== 8 && inputBits !== 16) throw new RangeError(`inputBits must be 8 or 16, got ${inputBits}`);
  const weightBits = options.weightBits ?? 10;
  const activationBits = options.activationBits ?? 16;
  const calibration = options.calibration ?? [];

  const inputMax = calibration.length > 0 ? maxAbs(calibration.flat()) : 1;
  const inputScale = scaleFor(inputMax, inputBits);
  const activationMax = model.layers.map(() => 0);
  for (const x of calibration) floatForward(model, x).forEach((a, i) => { activationMax[i] = Math.max(activationMax[i]!, maxAbs(a)); });

  const layers: QuantizedLayer[] = [];
  let inScale = inputScale;
  let inBound = 1n << BigInt(inputBits - 1); // |x| <= 2^(b-1) for x in [-2^(b-1), 2^(b-1))
  model.layers.forEach((layer, li) => {
    const weightScale = scaleFor(maxAbs(layer.weights.flat()), weightBits);
    const accScale = inScale + weightScale;
    const last = li === model.layers.length - 1;
    let outScale = inScale;
    if (calibration.length > 0 && activationMax[li]! > 0) outScale = Math.min(accScale, scaleFor(activationMax[li]!, activationBits));
    if (last && calibration.length === 0) outScale = inScale;
    const weights = layer.weights.map((row) => row.map((w) => toFixed(w, weightScale)));
    const bias = layer.bias.map((b) => toFixed(b, accScale));
    const abs = (v: bigint) => (v < 0n ? -v : v);
    const worst = weights.reduce((m, row, o) => {
      const s = row.reduce((acc, w) => acc + abs(w), 0n) * inBound + abs(bias[o]!);
      return s > m ? s : m;
    }, 0n);
    const boundFor = (sh: number) => worst + roundingTerm(sh);
    let shift = Math.max(0, accScale - outScale);
    if (last) {
      // Every output must fit one packed public signal where possible (each extra signal
      // costs ~6-7k verification gas): coarsen the output scale just enough.
      const perWordBits = Math.floor(OUTPUT_WORD_BITS / layer.weights.length);
      while (perWordBits >= 2 && bitsFor(boundFor(shift)) - shift > perWordBits) shift++;
    }
    outScale = accScale - shift;
    const accBound = boundFor(shift);
    const accBits = bitsFor(accBound);
    if (accBits > MAX_ACC_BITS) throw new QuantizationOverflowError({ node: layer.name, bits: accBits, maxBits: MAX_ACC_BITS });
    const outBound = (accBound >> BigInt(shift)) + 1n;
    layers.push({ name: layer.name, weights, bias, relu: layer.relu, inScale, weightScale, outScale, shift, accBits, outBound });
    inScale = outScale;
    inBound = outBound;
  });
  const last = layers[layers.length - 1]!;
  return {
    inputShape: model.inputShape,
    outputShape: model.outputShape,
    inputBits,
    inputScale,
    layers,
    outputScale: last.outScale,
    outputBits: last.accBits - last.shift,
  };
}
