import type { OpDef } from './op.js';
import { attr, intsFrom, need } from './op.js';
import { maxOverGroups, reduceAxes, reductionGroups } from './reduce.js';

/** ReduceMax: a tree of exact max2 steps per group (n - 1 ReluRequant decompositions). */
export const reduceMax: OpDef = {
  types: ['ReduceMax'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const axes = reduceAxes(node, x.shape.length, intsFrom(ctx, node, inputs, 1, 'axes'));
    const { groups, outShape } = reductionGroups(x.shape, axes, attr(node, 'keepdims', 1) === 1);
    return [maxOverGroups(ctx, x, groups, outShape)];
  },
};
