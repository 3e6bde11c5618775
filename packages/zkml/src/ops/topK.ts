import { axisOf, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { attr, intsFrom, need, unsupported } from './op.js';
import { complement } from './elementwise.js';
import { reductionGroups } from './reduce.js';

/** Compare-exchanges a TopK network may use (k passes over n elements per group). */
const MAX_EXCHANGES = 4096;

/**
 * TopK with a constant k: k bubble passes of compare-exchanges along the axis, each moving
 * the best remaining element forward. One exchange is a sign step `s = [later beats earlier]`
 * (strictly: equal values keep their order, so ties go to the lower index as in ONNX), then
 * `t = s * (later - earlier)` (one product) swaps the values linearly, and the same for the
 * indices (one more product once they are computed). Values are materialised once so every
 * comparison is exact on the quantised values. Outputs come sorted.
 */
export const topK: OpDef = {
  types: ['TopK'],
  run(ctx, node, inputs, opset) {
    const x = need(node, inputs, 0);
    const kk = opset >= 10 ? intsFrom(ctx, node, inputs, 1, 'k')?.[0] : attr<number>(node, 'k');
    const axis = axisOf(attr(node, 'axis', -1), x.shape.length);
    const n = x.shape[axis]!;
    if (kk === undefined || !Number.isInteger(kk) || kk < 0 || kk > n) throw unsupported(node, `k must be a constant in [0, ${n}]`);
    const k = kk;
    if (k * n > MAX_EXCHANGES) throw unsupported(node, `k = ${k} of ${n} needs ${k * n} compare-exchanges per group, above ${MAX_EXCHANGES}`);
    const largest = attr(node, 'largest', 1) === 1;
    const { groups, outShape } = reductionGroups(x.shape, [axis], true);
    const m = ctx.isStatic(x) ? x : ctx.materialize(x);
    const vals: Value[] = Array.from({ length: n }, (_, j) => ctx.select(outShape, [m], (o) => [0, groups[o]![j]!]));
    const idxs: Value[] = Array.from({ length: n }, (_, j) => ctx.select(outShape, [], () => j));
    // The indices cost one product per exchange once computed: tracked only when read.
    const withIndices = ctx.needs(node.outputs[1]);
    for (let p = 0; p < k; p++) {
      for (let j = n - 1; j > p; j--) exchange(ctx, vals, withIndices ? idxs : undefined, j - 1, j, largest);
    }
    const shape = [...x.shape];
    shape[axis] = k;
    const inner = sizeOf(x.shape.slice(axis + 1));
    const gather = (cols: Value[]) => ctx.select(shape, cols.slice(0, k), (o) => {
      const j = Math.floor(o / inner) % k, g = Math.floor(o / (inner * k)) * inner + (o % inner);
      return [j, g];
    });
    return k === 0 ? [ctx.select(shape, [], () => 0), ctx.select(shape, [], () => 0)] : [gather(vals), gather(idxs)];
  },
};

/** Puts the better of columns i < j first, keeping their order on ties. */
function exchange(ctx: Context, vals: Value[], idxs: Value[] | undefined, i: number, j: number, largest: boolean): void {
  const a = vals[i]!, b = vals[j]!, shape = a.shape;
  const diff = (u: Value, v: Value) => ctx.linear(shape, [u, v], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
  // s = [b beats a] = 1 - [a - b >= 0] (largest) or 1 - [b - a >= 0] (smallest)
  const s = complement(ctx, ctx.nonNegative(largest ? diff(a, b) : diff(b, a)));
  const swap = (cols: Value[]) => {
    const t = ctx.product(s, diff(cols[j]!, cols[i]!));
    cols[i] = ctx.linear(shape, [cols[i]!, t], (o, add) => { add(0, o, 1); add(1, o, 1); return 0; });
    cols[j] = ctx.linear(shape, [cols[j]!, t], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
  };
  swap(vals);
  if (idxs) swap(idxs);
}
