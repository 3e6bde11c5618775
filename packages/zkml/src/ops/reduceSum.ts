import type { OpDef } from './op.js';
import { attr, intsFrom, need } from './op.js';
import { reduceAxes, reductionGroups } from './reduce.js';

/** ReduceSum and ReduceMean (axes as attribute or, from opsets 13/18, as input): linear. */
export const reduceSum: OpDef = {
  types: ['ReduceSum', 'ReduceMean'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const axes = reduceAxes(node, x.shape.length, intsFrom(ctx, node, inputs, 1, 'axes'));
    const { groups, outShape } = reductionGroups(x.shape, axes, attr(node, 'keepdims', 1) === 1);
    const mean = node.opType === 'ReduceMean';
    return [ctx.linear(outShape, [x], (o, add) => {
      const g = groups[o]!;
      for (const i of g) add(0, i, mean ? 1 / g.length : 1);
      return 0;
    })];
  },
};
