import { broadcastIndex, broadcastShapes } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { need, shapeError } from './op.js';
import { expandTo } from './elementwise.js';

/**
 * Where(cond, a, b) = b + cond * (a - b) with broadcasting, for a 0/1 condition. When both
 * branches are constants this is linear in the condition (no constraint); otherwise one
 * product per element.
 */
export const where: OpDef = {
  types: ['Where'],
  run(ctx, node, inputs) {
    const c = need(node, inputs, 0), a = need(node, inputs, 1), b = need(node, inputs, 2);
    const ca = broadcastShapes(c.shape, a.shape);
    const shape = ca && broadcastShapes(ca, b.shape);
    if (!ca || !shape) throw shapeError(node, c.shape, ca ? b.shape : a.shape);
    const ic = broadcastIndex(c.shape, shape), ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
    if (ctx.isStatic(a) && ctx.isStatic(b)) {
      return [ctx.linear(shape, [c], (o, add) => { add(0, ic(o), a.data[ia(o)]! - b.data[ib(o)]!); return b.data[ib(o)]!; })];
    }
    const diff = ctx.linear(shape, [a, b], (o, add) => { add(0, ia(o), 1); add(1, ib(o), -1); return 0; });
    const picked = ctx.product(expandTo(ctx, c, shape), diff);
    return [ctx.linear(shape, [picked, b], (o, add) => { add(0, o, 1); add(1, ib(o), 1); return 0; })];
  },
};
