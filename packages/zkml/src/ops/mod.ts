import { broadcastIndex } from '../ir/tensor.js';
import { constValue } from '../ir/value.js';
import type { OpDef } from './op.js';
import { attr, need, unsupported } from './op.js';
import { broadcast } from './elementwise.js';

/**
 * Mod of compile-time constants, folded (PyTorch's MultiheadAttention export computes a head
 * split in its shape chain this way): fmod 0 takes the divisor's sign (`a - b floor(a / b)`,
 * integers), fmod 1 the dividend's (C's fmod). Mod of a value computed from the model input is
 * refused with UnsupportedOperatorError.
 */
export const mod: OpDef = {
  types: ['Mod'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    if (!ctx.isStatic(a) || !ctx.isStatic(b)) throw unsupported(node, 'Mod of a value computed from the model input (Mod of constants, a shape computation, is folded)');
    const shape = broadcast(node, a, b);
    const ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
    const fmod = attr(node, 'fmod', 0) === 1;
    const data = Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, o) => {
      const x = a.data[ia(o)]!, y = b.data[ib(o)]!;
      if (y === 0) throw unsupported(node, 'Mod by a constant zero');
      return fmod ? x % y : x - y * Math.floor(x / y);
    });
    return [constValue(shape, data)];
  },
};
