import { MalformedModelError, UnsupportedOperatorError } from '../errors/onnx.js';
import { floatInput, runGraph, type ImportedModel } from '../graph/import.js';
import { isSignal, signalForm, type Affine } from '../ir/affine.js';
import { sizeOf } from '../ir/tensor.js';
import { symValue, type Value } from '../ir/value.js';
import { Context, scaleFor, signedBits, type NodePrecision } from '../lower/context.js';
import type { Step } from '../lower/steps.js';
import type { Approximation } from '../lower/approx.js';
import type { ElemKind, OnnxNode } from '../onnx/load.js';

export { scaleFor, MAX_ACC_BITS } from '../lower/context.js';
export { roundingTerm } from '../lower/steps.js';

/**
 * A model lowered to integers. Signals `0 .. inputCount-1` are the offset-encoded inputs
 * `u = round(x * 2^inputScale) + 2^(inputBits-1)`; the steps compute every other signal;
 * `outputs` lists the output signals, all at `outputScale`.
 */
export type QuantizedModel = {
  inputShape: number[];
  outputShape: number[];
  /** width of one input value; inputs travel on chain as unsigned `value + 2^(inputBits-1)` */
  inputBits: number;
  inputScale: number;
  /** set when the graph input is an integer or boolean tensor: values must be integers (0/1 for bool), at scale 0 */
  inputKind?: 'int' | 'bool';
  /**
   * The encoded values `[lo, hi]` every input `u` may take, when narrower than the whole width
   * `[0, 2^inputBits - 1]` (absent): the non-negative half `[2^(inputBits-1), 2^inputBits - 1]`
   * for a float input when every calibration value is non-negative (the calibration already
   * chose the range's width, it also chooses its sign), `{2^(inputBits-1), 2^(inputBits-1) + 1}`
   * for a boolean input. An integer input keeps the whole signed width, as ONNX reads it. Every bound of the program is computed from it, and the circuit
   * range-checks each input to it (fewer bits: see gadgets.ts `inputPack`).
   */
  inputBounds?: readonly [number, number];
  signalCount: number;
  steps: Step[];
  outputs: number[];
  outputScale: number;
  /** width of one offset-encoded output value in the packed public outputs */
  outputBits: number;
  /** per node: the largest float magnitude seen in calibration at each primitive */
  ranges: Record<string, number>;
  /** elementwise functions approximated by a table (window, segments, largest error); absent when none */
  approximations?: Approximation[];
};

export type QuantizeOptions = {
  /** bits per input value: 8 or 16 (inputs are byte-aligned on chain). Default 8. */
  inputBits?: number;
  /** bits per weight, sign included (per output element, like per-channel quantisation). Default 12. */
  weightBits?: number;
  /** bits for hidden activations (chosen from calibration ranges). Default 16. */
  activationBits?: number;
  /** per-node widths in place of the two above (by the name of the node that requantises) */
  nodes?: NodePrecision;
  /** float sample inputs; without them, 16 pseudo-random inputs in [-1, 1] stand in */
  calibration?: number[][];
};

/**
 * Bits a packed output word may use: below the BN254 field size with room to spare. The circuit
 * packs outputs this way; `Coprocessor.decodeOutputs` and the sdk's `decodeOutputWords` unpack them
 * (packages/sdk/test/outputWords.test.ts checks that the sdk decodes what io/commit.ts's `unpackOutputs` does).
 */
export const OUTPUT_WORD_BITS = 248;


/** The widths `quantize` uses when none are asked for: 12-bit weights, 16-bit activations. */
export const DEFAULT_PRECISION = { weightBits: 12, activationBits: 16 } as const;

/** Stand-in calibration: deterministic pseudo-random inputs in [-1, 1). */
function syntheticSamples(n: number, count = 16): number[][] {
  let s = 12345;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 31 - 1; };
  return Array.from({ length: count }, () => Array.from({ length: n }, next));
}

/** The model output as signals at one scale, packed-friendly (requantised if needed). */
function finishOutput(ctx: Context, out: Value, producer: string, activationBits: number, kind: ElemKind): Value {
  // The final requantisation belongs to the node that produced the output (its errors name it); an integer output stays exact.
  ctx.begin({ name: producer, opType: 'Output', domain: '', inputs: [], outputs: [], attributes: {} } satisfies OnnxNode, [kind]);
  const n = sizeOf(out.shape);
  // Fit all outputs in one public signal where that costs no precision: coarsen the scale
  // down to `activationBits` plus 8 bits of headroom for worst-case bounds, not further.
  // An integer or boolean output is never coarsened: it takes as many words as its exact range needs.
  const packBits = kind === 'float' ? Math.max(activationBits + 8, Math.floor(OUTPUT_WORD_BITS / n)) : OUTPUT_WORD_BITS;
  if (out.kind === 'sym' && out.forms.every(isSignal)) {
    const ids = out.forms.map((f) => [...f.t.keys()][0]!);
    const scales = new Set(ids.map((id) => ctx.signals[id]!.scale));
    const unit = out.forms.every((f, i) => [...f.t.values()][0] === 2 ** -ctx.signals[ids[i]!]!.scale);
    if (scales.size === 1 && unit) { ctx.requantKeyOnly(); return out; }
  }
  // An integer form with even coefficients (x << 1) would get a coarser exact scale: integers are always at scale 0.
  return ctx.requant(out, 'none', { packBits, keepConstants: true, ...(kind === 'float' ? {} : { scale: 0 }) });
}

/**
 * What the float run over the calibration inputs records: every nonlinear primitive's largest
 * magnitude (and spans), keyed by node and call order, and the inputs' extremes. It does not
 * depend on the widths, so a search over widths runs it once ({@link calibrate}).
 */
export type CalibrationPass = { ranges: ReadonlyMap<string, number>; inputMax: number; inputMin: number };

const outputProducer = (model: ImportedModel) => {
  const graphOutput = model.graph.outputs[0]!.name;
  return model.graph.nodes.find((n) => n.outputs.includes(graphOutput))?.name ?? 'output';
};

/** Runs the model in float over the calibration inputs (or the stand-ins) and records its ranges. */
export function calibrate(model: ImportedModel, options: QuantizeOptions = {}): CalibrationPass {
  const calibrated = options.calibration !== undefined && options.calibration.length > 0;
  const calibration = calibrated ? options.calibration! : syntheticSamples(sizeOf(model.inputShape));
  const activationBits = options.activationBits ?? DEFAULT_PRECISION.activationBits;
  const ranges = new Map<string, number>();
  const float = new Context('float', ranges, { weightBits: options.weightBits ?? DEFAULT_PRECISION.weightBits, activationBits, calibrated });
  const producer = outputProducer(model);
  let inputMax = 0, inputMin = Infinity;
  for (const x of calibration) {
    for (const v of x) { inputMax = Math.max(inputMax, Math.abs(v)); inputMin = Math.min(inputMin, v); }
    finishOutput(float, runGraph(float, model.graph, floatInput(model.inputShape, x)), producer, activationBits, model.graph.outputs[0]!.kind);
  }
  return { ranges, inputMax, inputMin };
}

/**
 * Chooses fixed-point scales and lowers the model to an integer program. Calibration
 * inputs (run in float) give every requantisation its output scale; worst-case interval
 * bounds give every range check its width, so every in-range input can be proved.
 *
 * @example
 * const q = quantize(importGraph(loadOnnx(bytes)), { calibration: samples })
 */
export function quantize(model: ImportedModel, options: QuantizeOptions = {}, pass?: CalibrationPass): QuantizedModel {
  const inputBits = options.inputBits ?? 8;
  if (inputBits !== 8 && inputBits !== 16) throw new RangeError(`inputBits must be 8 or 16, got ${inputBits}`);
  const n = sizeOf(model.inputShape);
  const calibrated = options.calibration !== undefined && options.calibration.length > 0;
  const lowerOptions = { weightBits: options.weightBits ?? DEFAULT_PRECISION.weightBits, activationBits: options.activationBits ?? DEFAULT_PRECISION.activationBits, calibrated, ...(options.nodes ? { nodes: options.nodes } : {}) };
  const producer = outputProducer(model);
  const { ranges, inputMax, inputMin } = pass ?? calibrate(model, options);
  // Integer and boolean inputs are exact integers in the circuit (scale 0), as ONNX reads them.
  const inputKind = model.graph.inputs[0]!.kind;
  const inputScale = inputKind === 'float' ? scaleFor(inputMax, inputBits) : 0;

  const ctx = new Context('lower', new Map(ranges), lowerOptions);
  const half = 2 ** (inputBits - 1);
  const inputBounds: readonly [number, number] | undefined = inputKind === 'bool' ? [half, half + 1] : inputKind === 'float' && inputMin >= 0 ? [half, 2 * half - 1] : undefined;
  const [lo, hi] = inputBounds ?? [0, 2 * half - 1];
  const first = ctx.allocate(inputScale, Array.from({ length: n }, () => [BigInt(lo), BigInt(hi)] as const));
  for (let i = 0; i < n; i++) ctx.signals[first + i]!.offset = half;
  const forms: Affine[] = Array.from({ length: n }, (_, i) => {
    const f = signalForm(first + i, inputScale);
    return { c: -half * 2 ** -inputScale, t: f.t };
  });
  const out = finishOutput(ctx, runGraph(ctx, model.graph, symValue(model.inputShape, forms)), producer, lowerOptions.activationBits, model.graph.outputs[0]!.kind);
  if (out.kind !== 'sym' || !out.forms.every(isSignal)) {
    throw new MalformedModelError({ reason: 'an output element does not depend on the input' });
  }
  const outputs = out.forms.map((f) => [...f.t.keys()][0]!);
  const outputScale = ctx.signals[outputs[0]!]!.scale;
  if (model.graph.outputs[0]!.kind !== 'float' && outputs.some((id) => ctx.signals[id]!.scale !== 0)) {
    throw new UnsupportedOperatorError({ node: producer, opType: 'Output', reason: `its ${model.graph.outputs[0]!.kind} output needs more than ${OUTPUT_WORD_BITS} bits to stay exact, and an integer answer is never rounded` });
  }
  const outputBits = Math.max(2, ...outputs.map((id) => signedBits(ctx.signals[id]!.lo, ctx.signals[id]!.hi)));
  return {
    inputShape: model.inputShape,
    outputShape: out.shape,
    inputBits,
    inputScale,
    ...(inputKind === 'float' ? {} : { inputKind }),
    ...(inputBounds ? { inputBounds } : {}),
    signalCount: ctx.signals.length,
    steps: ctx.steps,
    outputs,
    outputScale,
    outputBits,
    ranges: Object.fromEntries(ranges),
    ...(ctx.approximations.length > 0 ? { approximations: ctx.approximations } : {}),
  };
}
