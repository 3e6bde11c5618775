import { sizeOf } from '../ir/tensor.js';
import { elemKind } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { need } from './op.js';
import { complement } from './elementwise.js';

/**
 * Identity, Dropout (inference) and Cast: the value passes through, except where ONNX's Cast
 * changes it: a float cast to an integer type is truncated toward zero (`ctx.truncDiv` by 1,
 * constrained), and a non-boolean cast to BOOL is `x != 0` (one IsZero step). Integers and
 * booleans cast to wider or float types keep their exact values.
 */
export const identity: OpDef = {
  types: ['Identity', 'Dropout', 'Cast'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    if (node.opType === 'Cast') {
      const from = ctx.kinds[0] ?? 'float', to = elemKind(node.attributes.to as number);
      if (to === 'bool' && from !== 'bool') return [complement(ctx, ctx.isZero(x))];
      if (to === 'int' && from === 'float') return [ctx.truncDiv(x, new Array<number>(sizeOf(x.shape)).fill(1))];
      return [x];
    }
    // Dropout's optional mask output is all ones at inference.
    return node.opType === 'Dropout' && node.outputs.length > 1 ? [x, { kind: 'const', shape: x.shape, data: new Float64Array(sizeOf(x.shape)).fill(1) }] : [x];
  },
};
