import { sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, shapeError } from './op.js';
import { convOperands, forEachTap, windowOf } from './window.js';

/**
 * Conv over [N, C, ...spatial] (1-D, 2-D and higher) with strides, pads, dilations, groups
 * and auto_pad. Weights constant: linear, no constraint; a following BatchNormalization
 * or Mul/Add by constants composes into the same affine forms before requantisation.
 */
export const conv: OpDef = {
  types: ['Conv'],
  run(ctx, node, inputs) {
    const { x, w, b, N, C, group } = convOperands(ctx, node, inputs);
    const [M, Cg] = w.shape as [number, number];
    if (C !== Cg * group || M % group !== 0) throw shapeError(node, [N, Cg * group], x.shape.slice(0, 2));
    const kernel = w.shape.slice(2);
    const win = windowOf(node, x.shape.slice(2), attr<number[]>(node, 'kernel_shape') ?? kernel);
    const inSp = sizeOf(win.spatial), outSp = sizeOf(win.outSpatial), kn = sizeOf(kernel);
    const mPerGroup = M / group;
    return [ctx.linear([N, M, ...win.outSpatial], [x], (o, add) => {
      const n = Math.floor(o / (M * outSp)), m = Math.floor(o / outSp) % M, pos = o % outSp;
      const g = Math.floor(m / mPerGroup);
      forEachTap(win, pos, (inFlat, kf) => {
        for (let c = 0; c < Cg; c++) {
          add(0, (n * C + g * Cg + c) * inSp + inFlat, w.data[(m * Cg + c) * kn + kf]!);
        }
      });
      return b ? b.data[m]! : 0;
    })];
  },
};
