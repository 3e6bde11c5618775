import { axisOf, stridesOf, unravel } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { intsFrom, need, unsupported } from './op.js';

/** Slice (starts/ends/axes/steps as inputs from opset 10, attributes before): data movement. */
export const slice: OpDef = {
  types: ['Slice'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const rank = x.shape.length;
    const starts = intsFrom(ctx, node, inputs, 1, 'starts');
    const ends = intsFrom(ctx, node, inputs, 2, 'ends');
    if (!starts || !ends) throw unsupported(node, 'starts and ends are required');
    const axes = (intsFrom(ctx, node, inputs, 3, 'axes') ?? starts.map((_, i) => i)).map((a) => axisOf(a, rank));
    const steps = intsFrom(ctx, node, inputs, 4, 'steps') ?? starts.map(() => 1);
    const begin = x.shape.map(() => 0), step = x.shape.map(() => 1), shape = [...x.shape];
    axes.forEach((a, i) => {
      const d = x.shape[a]!, st = steps[i]!;
      if (st === 0) throw unsupported(node, 'a step of 0');
      const clampIdx = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + d : v));
      const s = st > 0 ? clampIdx(starts[i]!, 0, d) : clampIdx(starts[i]!, -1, d - 1);
      const e = st > 0 ? clampIdx(ends[i]!, 0, d) : clampIdx(ends[i]! < -d ? -1 - d : ends[i]!, -1, d - 1);
      begin[a] = s; step[a] = st;
      shape[a] = Math.max(0, Math.ceil((e - s) / st));
    });
    const inStrides = stridesOf(x.shape);
    return [ctx.select(shape, [x], (o) => {
      const idx = unravel(o, shape);
      let f = 0;
      idx.forEach((v, d) => (f += (begin[d]! + v * step[d]!) * inStrides[d]!));
      return [0, f];
    })];
  },
};
