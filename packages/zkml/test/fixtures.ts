import { buildMlpOnnx, buildOnnx, compileCached, type DenseSpec } from '../src/index.js';
import type { GraphSpec } from '../src/onnx/build.js';

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

/** The tiny model compiled once by circom (cached across runs under the Verity cache directory): the circom path's tests read its wasm and symbols. */
export const tinyCompiled = () => compileCached('test-tiny', TINY_ONNX, { calibration: tinySamples(32), backend: 'circom' });

/** A small CNN on 1x6x6: conv 3x3x2, ReLU, flatten, 32-4 Gemm, Sigmoid (three steps of three kinds). */
export function smallCnn(filters = 2, side = 6): Uint8Array {
  const r = pseudoRandom(11);
  const t = (dims: number[], scale: number) => ({ dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * scale) });
  const flat = filters * (side - 2) ** 2;
  return buildOnnx({
    input: { name: 'x', shape: ['batch', 1, side, side] },
    output: { name: 'y', shape: ['batch', 4] },
    nodes: [
      { op: 'Conv', inputs: ['x', 'c.w', 'c.b'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'g.w', 'g.b'], outputs: ['g'], attrs: { transB: 1 } },
      { op: 'Sigmoid', inputs: ['g'], outputs: ['y'] },
    ],
    initializers: { 'c.w': t([filters, 1, 3, 3], 0.5), 'c.b': t([filters], 0.1), 'g.w': t([4, flat], 0.3), 'g.b': t([4], 0.1) },
  });
}

export function cnnSamples(n: number, side = 6, seed = 3): number[][] {
  const r = pseudoRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: side * side }, () => (r() + 1) / 2));
}

/** The small CNN compiled in parts, one per step chunk (`shard: 1`), linked into one circuit. */
export const shardedCompiled = () => compileCached('test-sharded-cnn', smallCnn(), { calibration: cnnSamples(16), shard: 1, backend: 'circom' });

/** Issue 17's integer example: a float input cast to int64, then divided by the int64 constant 3 (1 / 3 is 0 in ONNX). */
export const ONE_THIRD: GraphSpec = {
  input: { name: 'x', shape: [1, 4] }, output: { name: 'y', shape: [1, 4], elemType: 7 },
  initializers: { three: { dims: [1], values: [3], int64: true } },
  nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['i'], attrs: { to: 7 } }, { op: 'Div', inputs: ['i', 'three'], outputs: ['y'] }],
};
export const oneThird = () => buildOnnx(ONE_THIRD);
