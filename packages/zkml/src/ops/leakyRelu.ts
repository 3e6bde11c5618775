import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput } from './op.js';
import { broadcast, expandTo } from './elementwise.js';
import { broadcastIndex } from '../ir/tensor.js';

/** `slope * x + (1 - slope) * relu(x)`: x is requantised once, relu(x) is exact on it. */
export function leaky(ctx: Context, node: OnnxNode, x: Value, slope: Float64Array, slopeShape: number[]): Value {
  const shape = broadcast(node, x, { kind: 'const', shape: slopeShape, data: slope });
  const q = ctx.materialize(expandTo(ctx, x, shape));
  const r = ctx.requant(q, 'relu', { exact: true });
  const is = broadcastIndex(slopeShape, shape);
  return ctx.linear(shape, [q, r], (o, add) => { const a = slope[is(o)]!; add(0, o, a); add(1, o, 1 - a); return 0; });
}

/** LeakyRelu (attribute alpha, default 0.01). */
export const leakyRelu: OpDef = {
  types: ['LeakyRelu'],
  run(ctx, node, inputs) {
    return [leaky(ctx, node, need(node, inputs, 0), Float64Array.of(attr(node, 'alpha', 0.01)), [])];
  },
};

/** PRelu: a constant slope tensor broadcast against the input (usually per channel). */
export const prelu: OpDef = {
  types: ['PRelu'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const slope = staticInput(ctx, node, inputs, 1, 'slope');
    // ONNX PRelu broadcasts unidirectionally; a [C] slope on [N, C, ...] means per channel.
    const shape = slope.shape.length === 1 && x.shape.length > 2 && slope.shape[0] === x.shape[1] ? [slope.shape[0]!, ...x.shape.slice(2).map(() => 1)] : slope.shape;
    return [leaky(ctx, node, x, slope.data, shape)];
  },
};
