import { axisOf, broadcastIndex, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput, unsupported } from './op.js';

/**
 * LayerNormalization over the axes from `axis` to the last: `(x - mean) * rsqrt(var + eps)
 * * scale + bias`. The mean and the centring are linear; the centred values are
 * requantised once (a bit decomposition each) and squared (one product each); the variance
 * is requantised to an even scale and its reciprocal square root is one RSqrt step per row
 * (a root hint checked by `r^2 v <= 2^2K < (r+1)^2 v`); the normalised value is one product
 * per element, and scale and bias are linear. epsilon is at least one unit of the
 * variance's scale (so the root is never of zero).
 */
export const layerNorm: OpDef = {
  types: ['LayerNormalization'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const gamma = staticInput(ctx, node, inputs, 1, 'scale');
    const beta = inputs[2] ? staticInput(ctx, node, inputs, 2, 'bias') : undefined;
    if (ctx.needs(node.outputs[1]) || ctx.needs(node.outputs[2])) throw unsupported(node, 'the Mean and InvStdDev outputs are not supported (only Y)');
    const rank = x.shape.length;
    const axis = axisOf(attr(node, 'axis', -1), rank);
    if (axis < 0 || axis >= rank) throw unsupported(node, `axis ${attr(node, 'axis', -1)} is outside rank ${rank}`);
    const eps = attr(node, 'epsilon', 1e-5);
    const M = sizeOf(x.shape.slice(axis));
    const normShape = x.shape.slice(axis);
    const ig = broadcastIndex(gamma.shape, normShape), ib = beta ? broadcastIndex(beta.shape, normShape) : undefined;
    const n = normalizeRows(ctx, x, M, eps);
    return [ctx.linear(x.shape, [n], (o, add) => { const j = o % M; add(0, o, gamma.data[ig(j)]!); return beta ? beta.data[ib!(j)]! : 0; })];
  },
};

/**
 * `(x - mean) * rsqrt(var + eps)` over consecutive rows of `M` elements (LayerNorm's trailing
 * axes, InstanceNorm's spatial axes, GroupNorm's channel groups): the mean and the centring
 * are linear, the centred values are requantised once and squared (one product each), the
 * variance is one RSqrt step per row, and the result one product per element.
 */
export function normalizeRows(ctx: Context, x: Value, M: number, eps: number): Value {
  const rowShape = [sizeOf(x.shape) / M];
  const centred = ctx.linear(x.shape, [x], (o, add) => {
    const r = Math.floor(o / M);
    for (let j = 0; j < M; j++) add(0, r * M + j, (j === o % M ? 1 : 0) - 1 / M);
    return 0;
  });
  const d = ctx.materialize(centred);
  const sq = ctx.product(d, d);
  const variance = ctx.linear(rowShape, [sq], (r, add) => { for (let j = 0; j < M; j++) add(0, r * M + j, 1 / M); return eps; });
  const inv = ctx.rsqrt(variance);
  const spread = ctx.select(x.shape, [inv], (o) => [0, Math.floor(o / M)]);
  return ctx.product(d, spread);
}
