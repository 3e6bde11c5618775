import { buildMlpOnnx, compileCached, type DenseSpec } from '../src/index.js';

/** A deterministic pseudo-random sequence in [-1, 1) for fixtures. */
export function pseudoRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** A small MLP (8-4-3, ReLU) with fixed weights: big enough to exercise every template. */
export function tinyLayers(): DenseSpec[] {
  const r = pseudoRandom(7);
  const m = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, r));
  return [
    { weights: m(4, 8), bias: Array.from({ length: 4 }, r), relu: true },
    { weights: m(3, 4), bias: Array.from({ length: 3 }, r), relu: false },
  ];
}

export const TINY_ONNX = buildMlpOnnx({ inputSize: 8, layers: tinyLayers() });

export function tinySamples(n: number, seed = 1): number[][] {
  const r = pseudoRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: 8 }, r));
}

/** The tiny model compiled once (cached across runs under the Verity cache directory). */
export const tinyCompiled = () => compileCached('test-tiny', TINY_ONNX, { calibration: tinySamples(32) });
