import { broadcastIndex, broadcastShapes } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import { shapeError } from './op.js';

/** The broadcast shape of two operands, or a ShapeMismatchError naming the node. */
export function broadcast(node: OnnxNode, a: Value, b: Value): number[] {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw shapeError(node, a.shape, b.shape);
  return shape;
}

/** `ca * a + cb * b` with numpy broadcasting: linear, no constraint. */
export function addScaled(ctx: Context, node: OnnxNode, a: Value, ca: number, b: Value, cb: number): Value {
  const shape = broadcast(node, a, b);
  const ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
  return ctx.linear(shape, [a, b], (o, add) => { add(0, ia(o), ca); add(1, ib(o), cb); return 0; });
}

/** `a * k` where `k` is a compile-time constant tensor, broadcast. */
export function scaleBy(ctx: Context, node: OnnxNode, a: Value, k: Float64Array, kShape: number[], f: (v: number) => number = (v) => v): Value {
  const shape = broadcast(node, a, { kind: 'const', shape: kShape, data: k });
  const ia = broadcastIndex(a.shape, shape), ik = broadcastIndex(kShape, shape);
  return ctx.linear(shape, [a], (o, add) => { add(0, ia(o), f(k[ik(o)]!)); return 0; });
}

/** `1 - a` elementwise: the complement of a 0/1 value (Not, Less from GreaterOrEqual, Cast to BOOL). */
export function complement(ctx: Context, a: Value): Value {
  return ctx.linear(a.shape, [a], (o, add) => { add(0, o, -1); return 1; });
}

/** Broadcasts a value to `shape` (data movement only). */
export function expandTo(ctx: Context, a: Value, shape: number[]): Value {
  const ia = broadcastIndex(a.shape, shape);
  return ctx.select(shape, [a], (o) => [0, ia(o)]);
}
