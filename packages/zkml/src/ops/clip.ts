import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput } from './op.js';

/**
 * Clip(min, max) as `min + relu(x - min) - relu(x - max)` on the requantised x: two
 * exact ReluRequant decompositions. Either bound may be absent. Relu6 exports as Clip(0, 6).
 */
export const clip: OpDef = {
  types: ['Clip'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const lo = inputs[1] ? staticInput(ctx, node, inputs, 1, 'min').data[0]! : attr<number>(node, 'min');
    const hi = inputs[2] ? staticInput(ctx, node, inputs, 2, 'max').data[0]! : attr<number>(node, 'max');
    return [clamp(ctx, x, lo, hi)];
  },
};

/** `x` clamped to [lo, hi] (either bound optional): exact on the requantised x. */
export function clamp(ctx: Context, x: Value, lo: number | undefined, hi: number | undefined): Value {
  const q = ctx.materialize(x);
  const shifted = (t: number) => ctx.linear(q.shape, [q], (o, add) => { add(0, o, 1); return -t; });
  if (lo !== undefined && hi !== undefined) {
    const a = ctx.requant(shifted(lo), 'relu', { exact: true });
    const b = ctx.requant(shifted(hi), 'relu', { exact: true });
    return ctx.linear(q.shape, [a, b], (o, add) => { add(0, o, 1); add(1, o, -1); return lo; });
  }
  if (lo !== undefined) {
    const a = ctx.requant(shifted(lo), 'relu', { exact: true });
    return ctx.linear(q.shape, [a], (o, add) => { add(0, o, 1); return lo; });
  }
  if (hi !== undefined) {
    const b = ctx.requant(shifted(hi), 'relu', { exact: true });
    return ctx.linear(q.shape, [q, b], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
  }
  return q;
}
