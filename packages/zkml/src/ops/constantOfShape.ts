import type { Tensor } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { staticInput, unsupported } from './op.js';

/**
 * ConstantOfShape of a constant shape (recurrent exports build their zero initial states with
 * it, from a Shape/Gather/Concat chain folded at compile time): a constant tensor, no signal.
 */
export const constantOfShape: OpDef = {
  types: ['ConstantOfShape'],
  run(ctx, node, inputs) {
    const dims = Array.from(staticInput(ctx, node, inputs, 0, 'shape').data);
    if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw unsupported(node, `shape [${dims}] is not a list of non-negative integers`);
    const value = node.attributes.value as Tensor | undefined;
    const fill = value?.data[0] ?? 0;
    return [ctx.select(dims, [], () => fill)];
  },
};
