/** Shape arithmetic shared by every operator (row-major, ONNX conventions). */
import { TensorTooLargeError } from '../errors/onnx.js';

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Elements one tensor may have (16.8M): far above any circuit that can be set up (the
 * largest benchmarked model has 499k constraints), far below what exhausts the heap.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 24;

/** Throws {@link TensorTooLargeError} for a shape above {@link MAX_TENSOR_ELEMENTS}, before anything is allocated for it. */
export function checkTensorSize(tensor: string, shape: readonly number[]): void {
  if (!(sizeOf(shape) <= MAX_TENSOR_ELEMENTS)) throw new TensorTooLargeError({ tensor, shape: [...shape], cap: MAX_TENSOR_ELEMENTS });
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Multi-index of flat index `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], strides: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < idx.length; d++) f += idx[d]! * strides[d]!;
  return f;
}

/** Numpy-style broadcast of two shapes; undefined when they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

/** For each flat index of `outShape`, the flat index into a tensor of `shape` broadcast to it. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): (o: number) => number {
  const strides = stridesOf(shape);
  const pad = outShape.length - shape.length;
  const outStrides = stridesOf(outShape);
  return (o) => {
    let f = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(o / outStrides[d + pad]!) % outShape[d + pad]!;
      if (shape[d] !== 1) f += coord * strides[d]!;
    }
    return f;
  };
}

/** Normalises a possibly negative axis. */
export const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
