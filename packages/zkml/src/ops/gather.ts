import { axisOf, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput, unsupported } from './op.js';
import { selectComputed } from './indexing.js';

/**
 * Gather with constant indices (negative indices count from the end): data movement.
 * Computed indices select through one IsZero selector per index element and candidate
 * ({@link selectComputed}): from constant data (a class label looked up by ArgMax, as
 * hummingbird's GEMM strategy writes it) linearly, from computed data (its tree_trav and
 * perf_tree_trav strategies) with one product per output element and candidate. An index
 * outside [0, d) selects nothing (zeros), where onnxruntime would fail.
 */
export const gather: OpDef = {
  types: ['Gather'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const indices = need(node, inputs, 1);
    if (!ctx.isStatic(indices)) return [gatherComputed(ctx, node, x, indices)];
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

function gatherComputed(ctx: Context, node: OnnxNode, x: Value, ind: Value): Value {
  const axis = axisOf(attr(node, 'axis', 0), x.shape.length);
  const d = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1)), m = sizeOf(ind.shape);
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  // output o = (b, k, i) reads index k and candidate j at data (b, j, i)
  const k = (o: number) => Math.floor(o / inner) % m;
  return selectComputed(ctx, node, shape, ind, d, x, k, (o, j) => (Math.floor(o / (inner * m)) * d + j) * inner + (o % inner));
}
