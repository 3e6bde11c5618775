import { sizeOf, stridesOf, unravel } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, intsFrom, need, staticInput, unsupported } from './op.js';

/** Pad in constant mode (pads as input from opset 11, attribute before; optional axes). */
export const pad: OpDef = {
  types: ['Pad'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const mode = attr(node, 'mode', 'constant');
    if (mode !== 'constant') throw unsupported(node, `mode "${mode}" (only constant padding is supported)`);
    const rank = x.shape.length;
    const raw = intsFrom(ctx, node, inputs, 1, 'pads');
    if (!raw) throw unsupported(node, 'pads are required');
    const value = inputs[2] ? staticInput(ctx, node, inputs, 2, 'constant_value').data[0] ?? 0 : attr(node, 'value', 0);
    const axes = inputs[3] ? Array.from(staticInput(ctx, node, inputs, 3, 'axes').data, (a) => (a < 0 ? a + rank : a)) : Array.from({ length: rank }, (_, i) => i);
    const before = new Array(rank).fill(0), after = new Array(rank).fill(0);
    axes.forEach((a, i) => { before[a] = raw[i]!; after[a] = raw[i + axes.length]!; });
    if ([...before, ...after].some((p) => p < 0)) throw unsupported(node, 'negative pads');
    const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
    const inStrides = stridesOf(x.shape);
    if (sizeOf(shape) === 0) return [x];
    return [ctx.select(shape, [x], (o) => {
      const idx = unravel(o, shape);
      let f = 0;
      for (let d = 0; d < rank; d++) {
        const p = idx[d]! - before[d]!;
        if (p < 0 || p >= x.shape[d]!) return value;
        f += p * inStrides[d]!;
      }
      return [0, f];
    })];
  },
};
