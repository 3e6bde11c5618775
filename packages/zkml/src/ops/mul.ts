import type { OpDef } from './op.js';
import { need } from './op.js';
import { broadcast, expandTo, scaleBy } from './elementwise.js';

/**
 * Mul with broadcasting. By a constant: linear (folded into the next requantisation).
 * Of two computed values: one product constraint per element, output scale the sum of
 * the operands' scales.
 */
export const mul: OpDef = {
  types: ['Mul'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    if (ctx.isStatic(b)) return [scaleBy(ctx, node, a, b.data, b.shape)];
    if (ctx.isStatic(a)) return [scaleBy(ctx, node, b, a.data, a.shape)];
    const shape = broadcast(node, a, b);
    return [ctx.product(expandTo(ctx, a, shape), expandTo(ctx, b, shape))];
  },
};
