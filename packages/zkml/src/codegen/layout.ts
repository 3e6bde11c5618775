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
  /** public signals: output words, then the input commitment, then the request binding */
  publicSignals: number;
};


export function layoutOf(model: QuantizedModel): Layout {
  const inputCount = inputSize(model);
  const inputWidth = model.inputBits / 8;
  const inputsPerChunk = Math.floor(31 / inputWidth);
  const outputCount = model.outputShape.reduce((a, b) => a * b, 1);
  const outputsPerWord = Math.floor(OUTPUT_WORD_BITS / model.outputBits);
  const outputWords = Math.ceil(outputCount / outputsPerWord);
  return {
    inputCount,
    inputWidth,
    inputsPerChunk,
    inputChunks: Math.ceil(inputCount / inputsPerChunk),
    outputCount,
    outputBits: model.outputBits,
    outputsPerWord,
    outputWords,
    publicSignals: outputWords + 2,
  };
}
