import { sizeOf } from '../ir/tensor.js';
import { elemKind } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { need, unsupported } from './op.js';
import { complement } from './elementwise.js';

/** Integer types narrower than the field's exact range: a cast wraps values outside them (ONNX data type numbers). */
const INT_RANGES: Record<number, readonly [number, number, string]> = {
  2: [0, 255, 'uint8'], 3: [-128, 127, 'int8'], 4: [0, 65535, 'uint16'], 5: [-32768, 32767, 'int16'],
  6: [-(2 ** 31), 2 ** 31 - 1, 'int32'], 12: [0, 2 ** 32 - 1, 'uint32'], 7: [-(2 ** 63), 2 ** 63 - 1, 'int64'], 13: [0, 2 ** 64 - 1, 'uint64'],
};

/**
 * Identity, Dropout (inference) and Cast: the value passes through, except where ONNX's Cast
 * changes it: a float cast to an integer type is truncated toward zero (`ctx.truncDiv` by 1,
 * constrained), and a non-boolean cast to BOOL is `x != 0` (one IsZero step). Integers and
 * booleans cast to float or integer types keep their exact values. A cast to an integer type whose
 * range the value's proved interval can leave (uint8 of a negative, int8 of 200) would wrap around,
 * which is not proved: it is refused when lowering.
 */
export const identity: OpDef = {
  types: ['Identity', 'Dropout', 'Cast'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    if (node.opType === 'Cast') {
      const from = ctx.kinds[0] ?? 'float', to = elemKind(node.attributes.to as number);
      if (to === 'bool' && from !== 'bool') return [complement(ctx, ctx.isZero(x))];
      const y = to === 'int' && from === 'float' ? ctx.truncDiv(x, new Array<number>(sizeOf(x.shape)).fill(1)) : x;
      const range = to === 'int' && from !== 'bool' ? INT_RANGES[node.attributes.to as number] : undefined;
      if (range && ctx.mode === 'lower' && !ctx.isStatic(y)) {
        const [lo, hi] = ctx.bounds(y);
        if (lo < range[0] || hi > range[1]) throw unsupported(node, `its values may reach [${lo}, ${hi}], outside ${range[2]}'s range [${range[0]}, ${range[1]}], where the cast wraps around; wrap-around is not proved`);
      }
      return [y];
    }
    // Dropout's optional mask output is all ones at inference.
    return node.opType === 'Dropout' && node.outputs.length > 1 ? [x, { kind: 'const', shape: x.shape, data: new Float64Array(sizeOf(x.shape)).fill(1) }] : [x];
  },
};
