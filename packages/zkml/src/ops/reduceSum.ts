import type { OpDef } from './op.js';
import { attr, intsFrom, need } from './op.js';
import { reduceAxes, reductionGroups } from './reduce.js';

/**
 * ReduceSum and ReduceMean (axes as attribute or, from opsets 13/18, as input): linear. The
 * mean of an integer tensor is the sum divided by the count, truncated toward zero as
 * onnxruntime computes it (`ctx.truncDiv`, constrained).
 */
export const reduceSum: OpDef = {
  types: ['ReduceSum', 'ReduceMean'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const axes = reduceAxes(node, x.shape.length, intsFrom(ctx, node, inputs, 1, 'axes'));
    const { groups, outShape } = reductionGroups(x.shape, axes, attr(node, 'keepdims', 1) === 1);
    const integerMean = node.opType === 'ReduceMean' && ctx.kinds[0] === 'int';
    const mean = node.opType === 'ReduceMean' && !integerMean;
    const y = ctx.linear(outShape, [x], (o, add) => {
      const g = groups[o]!;
      for (const i of g) add(0, i, mean ? 1 / g.length : 1);
      return 0;
    });
    return [integerMean ? ctx.truncDiv(y, groups.map((g) => g.length)) : y];
  },
};
