import type { OpDef } from './op.js';
import { need } from './op.js';
import { addScaled, complement } from './elementwise.js';

/**
 * Comparisons with broadcasting, as 0/1 values (ONNX booleans): `a >= b` is one exact
 * sign step of `a - b` (the Sign template: a bit decomposition of the difference), and
 * the other orders are that step on `b - a` or its complement. Comparisons are exact on
 * the quantised operands; a constant threshold is rounded toward the side that keeps
 * `x >= t` and `x <= t` exact for every representable x. This is what hummingbird's GEMM
 * tree encoding compiles to (MatMul selecting features, then Less or LessOrEqual).
 */
export const compare: OpDef = {
  types: ['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    // `a >= b` and `a < b` read a - b; `a <= b` and `a > b` read b - a.
    const ab = node.opType === 'GreaterOrEqual' || node.opType === 'Less';
    const atLeast = ctx.nonNegative(ab ? addScaled(ctx, node, a, 1, b, -1) : addScaled(ctx, node, b, 1, a, -1));
    if (node.opType === 'GreaterOrEqual' || node.opType === 'LessOrEqual') return [atLeast];
    return [complement(ctx, atLeast)];
  },
};

/** Equal: `[a - b == 0]` (IsZeroOut template, two constraints per element), exact on the quantised operands. */
export const equal: OpDef = {
  types: ['Equal'],
  run(ctx, node, inputs) {
    return [ctx.isZero(addScaled(ctx, node, need(node, inputs, 0), 1, need(node, inputs, 1), -1))];
  },
};
