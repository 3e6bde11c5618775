import { broadcastIndex } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { need, unsupported } from './op.js';
import { broadcast, expandTo, scaleBy } from './elementwise.js';
import { divideBy } from './divTensor.js';

/**
 * Div by a constant. On floats: multiplication by its reciprocal, linear. On integers (ONNX
 * requires both operands of one type): the quotient truncated toward zero, as onnxruntime
 * computes it (7 / -2 = -3), through `ctx.truncDiv`'s constrained sign, product and floor
 * division. A computed divisor: {@link divideBy} (constrained division, never-zero divisor).
 */
export const div: OpDef = {
  types: ['Div'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    const integer = ctx.kinds[0] === 'int' || ctx.kinds[1] === 'int';
    if (!ctx.isStatic(b)) return [divideBy(ctx, node, a, b, integer)];
    if (b.data.some((v) => v === 0)) throw unsupported(node, 'division by a constant zero');
    if (!integer) return [scaleBy(ctx, node, a, b.data, b.shape, (v) => 1 / v)];
    const shape = broadcast(node, a, b);
    const ib = broadcastIndex(b.shape, shape);
    return [ctx.truncDiv(expandTo(ctx, a, shape), Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, o) => b.data[ib(o)]!))];
  },
};
