import { OUTPUT_WORD_BITS, type QuantizedModel } from '../quantize/quantize.js';
import { inputSize } from '../quantize/infer.js';

/**
 * How values cross the chain boundary: inputs packed big-endian into field elements,
 * outputs packed into as few public signals as possible. The Solidity side
 * (Coprocessor) and the circuit follow the same layout.
 */
export type Layout = {
  inputCount: number;
  inputWidth: number; // bytes per input value
  inputsPerChunk: number;
  inputChunks: number;
  outputCount: number;
  outputBits: number;
  outputsPerWord: number;
  outputWords: number;
  /**
   * How the input is bound: `committed` (a Poseidon commitment among the public signals: what
   * the Coprocessor checks against the request), `public` (the packed input chunks themselves
   * are public signals) or `private` (not bound: the proof shows some input gives the output).
   */
  inputVisibility: InputVisibility;
  /** public signals: output words, then the input commitment or chunks (if any), then the request binding */
  publicSignals: number;
};

export type InputVisibility = 'committed' | 'public' | 'private';


export function layoutOf(model: QuantizedModel, inputVisibility: InputVisibility = 'committed'): Layout {
  const inputCount = inputSize(model);
  const inputWidth = model.inputBits / 8;
  const inputsPerChunk = Math.floor(31 / inputWidth);
  const outputCount = model.outputShape.reduce((a, b) => a * b, 1);
  const outputsPerWord = Math.floor(OUTPUT_WORD_BITS / model.outputBits);
  const outputWords = Math.ceil(outputCount / outputsPerWord);
  const inputChunks = Math.ceil(inputCount / inputsPerChunk);
  const bound = inputVisibility === 'committed' ? 1 : inputVisibility === 'public' ? inputChunks : 0;
  return {
    inputCount,
    inputWidth,
    inputsPerChunk,
    inputChunks,
    outputCount,
    outputBits: model.outputBits,
    outputsPerWord,
    outputWords,
    inputVisibility,
    publicSignals: outputWords + bound + 1,
  };
}

/**
 * The range check of one packed value: `u - lo` in `bits` bits. Packing is injective when every
 * value is below 256^width; `[lo, hi]` (the quantised input's encoded bounds) needs only
 * bits(hi - lo) bits when `lo + 2^bits` still fits the width (a non-negative 8-bit input: 7 bits,
 * a boolean one: 1), else the whole width.
 */
export function packedRange(width: number, bounds?: readonly [number, number]): { lo: bigint; bits: number } {
  const whole = { lo: 0n, bits: 8 * width };
  if (!bounds) return whole;
  const lo = BigInt(bounds[0]), bits = Math.max(1, (BigInt(bounds[1]) - lo).toString(2).length);
  return lo >= 0n && lo + (1n << BigInt(bits)) <= (1n << BigInt(8 * width)) ? { lo, bits } : whole;
}
