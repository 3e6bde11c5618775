import { stridesOf, unravel } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need } from './op.js';

/** Transpose by `perm` (default: reversed axes): data movement only. */
export const transpose: OpDef = {
  types: ['Transpose'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const rank = x.shape.length;
    const perm = attr<number[]>(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const shape = perm.map((p) => x.shape[p]!);
    const inStrides = stridesOf(x.shape);
    return [ctx.select(shape, [x], (o) => {
      const idx = unravel(o, shape);
      let f = 0;
      idx.forEach((v, d) => (f += v * inStrides[perm[d]!]!));
      return [0, f];
    })];
  },
};

