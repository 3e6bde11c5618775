import type { OpDef } from './op.js';
import { need } from './op.js';
import { broadcast, complement, expandTo } from './elementwise.js';

/**
 * Boolean operators on 0/1 values (what comparisons and Equal produce): And is a product
 * (one constraint per element), Or is `a + b - ab`, Xor `a + b - 2ab`, Not `1 - a` (linear).
 * Their inputs must be booleans, as ONNX requires; a value that is not 0 or 1 is cast with
 * Cast(to=BOOL) first, which tests it against zero.
 */
export const logic: OpDef = {
  types: ['And', 'Or', 'Xor'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    const shape = broadcast(node, a, b);
    const ea = expandTo(ctx, a, shape), eb = expandTo(ctx, b, shape);
    const ab = ctx.product(ea, eb);
    if (node.opType === 'And') return [ab];
    const k = node.opType === 'Or' ? -1 : -2;
    return [ctx.linear(shape, [ea, eb, ab], (o, add) => { add(0, o, 1); add(1, o, 1); add(2, o, k); return 0; })];
  },
};

export const not: OpDef = {
  types: ['Not'],
  run(ctx, node, inputs) {
    return [complement(ctx, need(node, inputs, 0))];
  },
};
