import { sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, staticInput, unsupported } from './op.js';

/**
 * BatchNormalization (inference): `scale * (x - mean) / sqrt(var + eps) + B` per channel
 * (axis 1). Linear with constant statistics, so it folds into the preceding Conv or Gemm:
 * both end up in the same affine form, quantised once at the next requantisation.
 */
export const batchNorm: OpDef = {
  types: ['BatchNormalization'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    if (attr(node, 'training_mode', 0) === 1) throw unsupported(node, 'training_mode = 1 (statistics of the batch and running-statistics outputs) is not an inference graph; export the model in eval mode');
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => staticInput(ctx, node, inputs, i, ['scale', 'B', 'mean', 'var'][i - 1]!).data);
    const eps = attr(node, 'epsilon', 1e-5);
    const C = x.shape[1] ?? 1;
    const inner = sizeOf(x.shape.slice(2));
    // spatial = 0 (opsets 7 and 8): statistics per channel and position, [C, ...spatial].
    const perPosition = attr(node, 'spatial', 1) === 0 && scale!.length === C * inner && inner > 1;
    if (!perPosition && [scale, bias, mean, variance].some((t) => t!.length !== C)) throw shapeError(node, [C], [scale!.length]);
    return [ctx.linear(x.shape, [x], (o, add) => {
      const c = perPosition ? o % (C * inner) : Math.floor(o / inner) % C;
      const k = scale![c]! / Math.sqrt(variance![c]! + eps);
      add(0, o, k);
      return bias![c]! - k * mean![c]!;
    })];
  },
};
