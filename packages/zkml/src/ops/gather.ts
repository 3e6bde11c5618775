import { axisOf, sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput, unsupported } from './op.js';

/** Gather with constant indices (negative indices count from the end): data movement. */
export const gather: OpDef = {
  types: ['Gather'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
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
