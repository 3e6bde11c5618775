import { sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { need } from './op.js';
import { complement } from './elementwise.js';

/**
 * Identity, Dropout (inference) and Cast: the value passes through. Cast keeps fixed-point
 * values as they are; a cast to an integer type of a computed non-integer value would
 * truncate, which the integer program does not model, so only values that are already
 * integers (comparisons, ArgMax, constants) should be cast to integer types. A cast to BOOL
 * is `x != 0`.
 */
export const identity: OpDef = {
  types: ['Identity', 'Dropout', 'Cast'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    // Cast to BOOL tests against zero (one IsZero step); booleans already 0/1 pass through.
    if (node.opType === 'Cast' && node.attributes.to === 9) return [complement(ctx, ctx.isZero(x))];
    if (node.opType === 'Cast' && x.kind === 'const' && [6, 7, 2, 3, 4, 5, 12, 13].includes(node.attributes.to as number)) {
      return [{ ...x, data: x.data.map(Math.trunc) }];
    }
    // Dropout's optional mask output is all ones at inference.
    return node.opType === 'Dropout' && node.outputs.length > 1 ? [x, { kind: 'const', shape: x.shape, data: new Float64Array(sizeOf(x.shape)).fill(1) }] : [x];
  },
};
