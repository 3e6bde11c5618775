import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { need } from './op.js';
import { broadcast, expandTo } from './elementwise.js';

/** The inputs broadcast to one shape. */
function operands(ctx: Context, node: OnnxNode, inputs: readonly (Value | undefined)[]): Value[] {
  const xs = inputs.map((_, i) => need(node, inputs, i));
  const shape = xs.reduce((s, x) => broadcast(node, { kind: 'const', shape: s, data: new Float64Array(0) }, x), xs[0]!.shape);
  return xs.map((x) => expandTo(ctx, x, shape));
}

/**
 * Max and Min of one or more inputs (broadcast): a chain of exact max2 steps (one ReluRequant
 * each) on the requantised inputs; Min is -max(-a, -b). Sum and Mean of several inputs: linear.
 */
export const minMax: OpDef = {
  types: ['Max', 'Min', 'Sum', 'Mean'],
  run(ctx, node, inputs) {
    const xs = operands(ctx, node, inputs);
    const shape = xs[0]!.shape;
    if (node.opType === 'Sum' || node.opType === 'Mean') {
      const k = node.opType === 'Mean' ? 1 / xs.length : 1;
      return [ctx.linear(shape, xs, (o, add) => { xs.forEach((_, j) => add(j, o, k)); return 0; })];
    }
    const s = node.opType === 'Min' ? -1 : 1;
    const signed = xs.map((x) => ctx.materialize(s === 1 ? x : ctx.linear(shape, [x], (o, add) => { add(0, o, -1); return 0; })));
    const m = signed.slice(1).reduce((acc, x) => ctx.max2(acc, x), signed[0]!);
    return [s === 1 ? m : ctx.linear(shape, [m], (o, add) => { add(0, o, -1); return 0; })];
  },
};
