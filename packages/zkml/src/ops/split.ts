import { axisOf, sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, intsFrom, need, unsupported } from './op.js';

/**
 * Split along an axis into the given sizes (input from opset 13, attribute before), or into
 * equal parts, the last one smaller when the axis does not divide (opset 18's num_outputs):
 * data movement. A packed Q/K/V projection (PyTorch's `in_proj_weight`) exports one.
 */
export const split: OpDef = {
  types: ['Split'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const rank = x.shape.length;
    const axis = axisOf(attr(node, 'axis', 0), rank);
    if (axis < 0 || axis >= rank) throw unsupported(node, `axis ${attr(node, 'axis', 0)} is outside rank ${rank}`);
    const d = x.shape[axis]!;
    const parts = attr(node, 'num_outputs', node.outputs.length);
    const sizes = intsFrom(ctx, node, inputs, 1, 'split') ?? Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(Math.ceil(d / parts), d - i * Math.ceil(d / parts))));
    if (sizes.length !== node.outputs.length || sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== d) {
      throw unsupported(node, `split sizes [${sizes}] do not cover dimension ${axis} (${d}) in ${node.outputs.length} outputs`);
    }
    const inner = sizeOf(x.shape.slice(axis + 1));
    let start = 0;
    return sizes.map((len) => {
      const from = start;
      start += len;
      const shape = x.shape.map((v, i) => (i === axis ? len : v));
      return ctx.select(shape, [x], (o) => {
        const outer = Math.floor(o / (len * inner));
        return [0, (outer * d + from + (Math.floor(o / inner) % len)) * inner + (o % inner)];
      });
    });
  },
};
