import { axisOf, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context, PwlFunction } from '../lower/context.js';
import type { OpDef } from './op.js';
import { attr, need } from './op.js';
import { maxOverGroups, reductionGroups } from './reduce.js';

// x - max(x) <= 0: the window [-15.9, 0.1) keeps 0 inside and the table's precision for [-16, 0].
export const EXP: PwlFunction = { name: 'exp', f: Math.exp, lo: -15.9, hi: 0.1 };

/**
 * Softmax along an axis (opset 13+; before 13 the input is coerced to 2-D at the axis):
 * max by exact max2 steps, exp(x - max) piecewise-linear on [-15.9, 0.1], the sum linear, and
 * one floor division per element (DivFloor template) to probabilities at scale 2^16.
 * An ArgMax that only reads a Softmax is rewired to the Softmax's input at import.
 */
export const softmax: OpDef = {
  types: ['Softmax'],
  run(ctx, node, inputs, opset) {
    const x = need(node, inputs, 0);
    const rank = x.shape.length;
    const axis = axisOf(attr(node, 'axis', opset >= 13 ? -1 : 1), rank);
    const axes = opset >= 13 ? [axis] : Array.from({ length: rank - axis }, (_, i) => axis + i);
    const { groups, outShape } = reductionGroups(x.shape, axes, true);
    return [softmaxOver(ctx, x, groups, outShape)];
  },
};

/** Softmax over each group of flat indices (groups of `reductionGroups`, `outShape` its kept shape). */
export function softmaxOver(ctx: Context, x: Value, groups: number[][], outShape: number[]): Value {
  const q = ctx.materialize(x);
  const m = maxOverGroups(ctx, q, groups, outShape);
  const owner = new Array<number>(sizeOf(x.shape));
  groups.forEach((g, gi) => g.forEach((i) => (owner[i] = gi)));
  const d = ctx.linear(x.shape, [q, m], (o, add) => { add(0, o, 1); add(1, owner[o]!, -1); return 0; });
  const e = ctx.pwl(d, EXP);
  const sum = ctx.linear(x.shape, [e], (o, add) => { for (const i of groups[owner[o]!]!) add(0, i, 1); return 0; });
  return ctx.divide(e, sum, { scale: 16, denMin: 0.999 });
}
