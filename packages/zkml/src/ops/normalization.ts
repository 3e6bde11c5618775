import { sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, staticInput, unsupported } from './op.js';
import { normalizeRows } from './layerNorm.js';

/**
 * InstanceNormalization (per sample and channel, over the spatial axes) and
 * GroupNormalization (per sample and group of channels): data-dependent mean and variance,
 * normalised with {@link normalizeRows} (one requantisation, one square and one product per
 * element, one constrained reciprocal square root per row), then the constant per-channel
 * scale and bias, linear. GroupNorm's scale and bias are per group (opset 18) or per channel
 * (opset 21), read from their length.
 */
export const instanceNorm: OpDef = {
  types: ['InstanceNormalization', 'GroupNormalization'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const scale = staticInput(ctx, node, inputs, 1, 'scale').data, bias = staticInput(ctx, node, inputs, 2, 'bias').data;
    const C = x.shape[1] ?? 1, inner = sizeOf(x.shape.slice(2));
    const groups = node.opType === 'GroupNormalization' ? attr(node, 'num_groups', 0) : C;
    if (!(groups > 0) || C % groups !== 0) throw unsupported(node, `num_groups ${groups} does not divide the ${C} channels`);
    const perGroup = scale.length === groups && groups !== C;
    if ((scale.length !== C && !perGroup) || bias.length !== scale.length) throw shapeError(node, [C], [scale.length, bias.length]);
    const n = normalizeRows(ctx, x, (C / groups) * inner, attr(node, 'epsilon', 1e-5));
    return [ctx.linear(x.shape, [n], (o, add) => {
      const c = Math.floor(o / inner) % C, k = perGroup ? Math.floor(c / (C / groups)) : c;
      add(0, o, scale[k]!);
      return bias[k]!;
    })];
  },
};
