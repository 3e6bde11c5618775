import { axisOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need } from './op.js';
import { reductionGroups } from './reduce.js';

/**
 * ArgMax along an axis (keepdims, select_last_index): the ArgMax template proves the
 * chosen element is at least every other one and strictly greater than those before it,
 * so ties resolve to the first index as in ONNX. select_last_index reverses each group.
 * ArgMin is the same on -x.
 */
export const argmax: OpDef = {
  types: ['ArgMax', 'ArgMin'],
  run(ctx, node, inputs) {
    const input = need(node, inputs, 0);
    // ArgMin is ArgMax of -x (the first minimum is the first maximum of the negation).
    const x = node.opType === 'ArgMin' ? ctx.linear(input.shape, [input], (o, add) => { add(0, o, -1); return 0; }) : input;
    const axis = axisOf(attr(node, 'axis', 0), x.shape.length);
    const { groups, outShape } = reductionGroups(x.shape, [axis], attr(node, 'keepdims', 1) === 1);
    const last = attr(node, 'select_last_index', 0) === 1;
    const idx = ctx.argmax(x, last ? groups.map((g) => [...g].reverse()) : groups, outShape);
    if (!last) return [idx];
    const n = x.shape[axis]!;
    return [ctx.linear(outShape, [idx], (o, add) => { add(0, o, -1); return n - 1; })];
  },
};
