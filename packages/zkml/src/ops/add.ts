import type { OpDef } from './op.js';
import { need } from './op.js';
import { addScaled } from './elementwise.js';

/** Add and Sub with broadcasting: linear in both operands (either may be computed). */
export const add: OpDef = {
  types: ['Add', 'Sub'],
  run(ctx, node, inputs) {
    return [addScaled(ctx, node, need(node, inputs, 0), 1, need(node, inputs, 1), node.opType === 'Sub' ? -1 : 1)];
  },
};
