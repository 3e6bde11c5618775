import { axisOf, sizeOf } from '../ir/tensor.js';
import type { ConstValue, Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput, unsupported } from './op.js';

/**
 * Gather with constant indices (negative indices count from the end): data movement.
 * Computed indices into constant data (a class label looked up by ArgMax, as hummingbird
 * writes it) select through one IsZero indicator per candidate index; an index outside
 * [0, d) selects nothing (zeros), where onnxruntime would fail.
 */
export const gather: OpDef = {
  types: ['Gather'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const indices = need(node, inputs, 1);
    if (!ctx.isStatic(indices)) {
      if (ctx.isStatic(x)) return [gatherComputed(ctx, node, x, indices)];
      throw unsupported(node, 'both its data and its indices are computed from the model input (hummingbird\'s tree_trav and perf_tree_trav strategies do this): convert trees with extra_config={"tree_implementation": "gemm"}, or register the model in agreed mode');
    }
    const ind = staticInput(ctx, node, inputs, 1, 'indices');
    const axis = axisOf(attr(node, 'axis', 0), x.shape.length);
    const d = x.shape[axis]!;
    const idx = Array.from(ind.data, (v) => (v < 0 ? v + d : v));
    if (idx.some((v) => v < 0 || v >= d || !Number.isInteger(v))) throw unsupported(node, `an index is outside [0, ${d})`);
    const inner = sizeOf(x.shape.slice(axis + 1));
    const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
    return [ctx.select(shape, [x], (o) => {
      const i = o % inner, k = Math.floor(o / inner) % idx.length, b = Math.floor(o / (inner * idx.length));
      return [0, (b * d + idx[k]!) * inner + i];
    })];
  },
};

function gatherComputed(ctx: Context, node: OnnxNode, x: ConstValue, ind: Value): Value {
  const axis = axisOf(attr(node, 'axis', 0), x.shape.length);
  const d = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1)), m = sizeOf(ind.shape);
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  // hit[k, j] = [ind[k] == j]
  const hit = ctx.isZero(ctx.linear([m, d], [ind], (o, add) => { add(0, Math.floor(o / d), 1); return -(o % d); }));
  return ctx.linear(shape, [hit], (o, add) => {
    const i = o % inner, k = Math.floor(o / inner) % m, b = Math.floor(o / (inner * m));
    for (let j = 0; j < d; j++) add(0, k * d + j, x.data[(b * d + j) * inner + i]!);
    return 0;
  });
}
