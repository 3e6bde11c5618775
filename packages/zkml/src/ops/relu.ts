import type { OpDef } from './op.js';
import { need } from './op.js';

/**
 * Relu: the requantisation of the incoming accumulator and the clamp share one bit
 * decomposition (ReluRequant template): accBits + 1 constraints per element.
 */
export const relu: OpDef = {
  types: ['Relu'],
  run(ctx, node, inputs) {
    return [ctx.requant(need(node, inputs, 0), 'relu')];
  },
};
