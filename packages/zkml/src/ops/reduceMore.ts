import { sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { attr, intsFrom, need } from './op.js';
import { maxOverGroups, reduceAxes, reductionGroups } from './reduce.js';

const LOG = { name: 'log', f: Math.log, lo: 0.125, hi: 8, domain: 'positive' as const };
const EXP_NEG = { name: 'exp', f: Math.exp, lo: -16, hi: 0 };
const SQRT = { name: 'sqrt', f: Math.sqrt, lo: 0, hi: 16, domain: 'nonnegative' as const };

const negate = (ctx: Context, x: Value) => ctx.linear(x.shape, [x], (o, add) => { add(0, o, -1); return 0; });
const sumGroups = (ctx: Context, x: Value, groups: readonly number[][], outShape: number[]) =>
  ctx.linear(outShape, [x], (o, add) => { for (const i of groups[o]!) add(0, i, 1); return 0; });

/**
 * `log(sum(exp(x - m)))` per group with m the group's maximum (exact max2 steps): exp on
 * the general mechanism over the calibrated range of x - m (<= 0; [-16, 0] without calibration), the sum linear, and the log through the
 * general mechanism on [0.5, n + 1] (the sum lies in [1, n]). Returns the materialised x, m and that log.
 */
export function logSumExp(ctx: Context, x: Value, groups: readonly number[][], outShape: number[]): { q: Value; m: Value; lse: Value; owner: number[] } {
  const q = ctx.materialize(x);
  const m = maxOverGroups(ctx, q, groups, outShape);
  const owner = new Array<number>(sizeOf(x.shape));
  groups.forEach((g, gi) => g.forEach((i) => (owner[i] = gi)));
  const d = ctx.linear(x.shape, [q, m], (o, add) => { add(0, o, 1); add(1, owner[o]!, -1); return 0; });
  const e = ctx.approx(d, EXP_NEG, { atMost: 0 });
  const n = Math.max(...groups.map((g) => g.length));
  const lse = ctx.approx(sumGroups(ctx, e, groups, outShape), LOG, { window: [0.5, n + 1] });
  return { q, m, lse, owner };
}

/**
 * ReduceMin (-max(-x), exact), ReduceL1 (sum of exact |x|), ReduceSumSquare (one product per
 * element), ReduceL2 (its square root, through the mechanism), ReduceLogSumExp ({@link logSumExp}),
 * ReduceProd (a tree of products per group). Axes as attribute or (opset 18, ReduceSum 13) input.
 */
export const reduceMore: OpDef = {
  types: ['ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp', 'ReduceProd'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const axes = reduceAxes(node, x.shape.length, intsFrom(ctx, node, inputs, 1, 'axes'));
    const { groups, outShape } = reductionGroups(x.shape, axes, attr(node, 'keepdims', 1) === 1);
    switch (node.opType) {
      case 'ReduceMin': return [negate(ctx, maxOverGroups(ctx, negate(ctx, x), groups, outShape))];
      case 'ReduceL1': {
        const q = ctx.materialize(x);
        const r = ctx.requant(q, 'relu', { exact: true });
        const abs = ctx.linear(q.shape, [q, r], (o, add) => { add(0, o, -1); add(1, o, 2); return 0; });
        return [sumGroups(ctx, abs, groups, outShape)];
      }
      case 'ReduceSumSquare': case 'ReduceL2': {
        const q = ctx.materialize(x);
        const s = sumGroups(ctx, ctx.product(q, q), groups, outShape);
        return [node.opType === 'ReduceL2' ? ctx.approx(s, SQRT) : s];
      }
      case 'ReduceLogSumExp': {
        const { m, lse } = logSumExp(ctx, x, groups, outShape);
        return [ctx.linear(outShape, [m, lse], (o, add) => { add(0, o, 1); add(1, o, 1); return 0; })];
      }
      default: {
        const q = ctx.materialize(x);
        const width = Math.max(...groups.map((g) => g.length));
        if (groups.some((g) => g.length !== width)) throw new Error('internal: uneven reduction groups');
        let cols = Array.from({ length: width }, (_, j) => ctx.select(outShape, [q], (o) => [0, groups[o]![j]!]));
        while (cols.length > 1) {
          const next: Value[] = [];
          for (let j = 0; j + 1 < cols.length; j += 2) next.push(ctx.product(cols[j]!, cols[j + 1]!));
          if (cols.length % 2 === 1) next.push(cols[cols.length - 1]!);
          cols = next;
        }
        return [cols[0]!];
      }
    }
  },
};

/** LogSoftmax along an axis: x - m - log(sum(exp(x - m))) ({@link logSumExp}); before opset 13 the axes from `axis` on. */
export const logSoftmax: OpDef = {
  types: ['LogSoftmax'],
  run(ctx, node, inputs, opset) {
    const x = need(node, inputs, 0);
    const rank = x.shape.length;
    const a = attr(node, 'axis', opset >= 13 ? -1 : 1);
    const axis = a < 0 ? a + rank : a;
    const axes = opset >= 13 ? [axis] : Array.from({ length: rank - axis }, (_, i) => axis + i);
    const { groups, outShape } = reductionGroups(x.shape, axes, true);
    const { q, m, lse, owner } = logSumExp(ctx, x, groups, outShape);
    return [ctx.linear(x.shape, [q, m, lse], (o, add) => { add(0, o, 1); add(1, owner[o]!, -1); add(2, owner[o]!, -1); return 0; })];
  },
};
