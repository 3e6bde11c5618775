import type { OpDef } from './op.js';
import { need, unsupported } from './op.js';
import { scaleBy } from './elementwise.js';

/** Div by a constant: multiplication by its reciprocal, linear. A computed divisor is refused. */
export const div: OpDef = {
  types: ['Div'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    if (!ctx.isStatic(b)) throw unsupported(node, 'the divisor is computed from the model input; only division by a constant can be proved');
    if (b.data.some((v) => v === 0)) throw unsupported(node, 'division by a constant zero');
    return [scaleBy(ctx, node, a, b.data, b.shape, (v) => 1 / v)];
  },
};
