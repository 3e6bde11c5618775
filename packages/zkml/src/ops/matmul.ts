import { broadcastIndex, broadcastShapes, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { OpDef } from './op.js';
import { need, shapeError, unsupported } from './op.js';

/**
 * MatMul with numpy semantics (1-D operands promoted, batch dimensions broadcast). One
 * operand must be constant: the product is then linear in the other.
 */
export const matmul: OpDef = {
  types: ['MatMul'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    if (!ctx.isStatic(a) && !ctx.isStatic(b)) throw unsupported(node, 'both operands are computed from the model input; a product of two activations matrices is not supported');
    const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
    const [M, K] = as.slice(-2) as [number, number];
    const [K2, N] = bs.slice(-2) as [number, number];
    if (K !== K2) throw shapeError(node, as, bs);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    if (!batch) throw shapeError(node, as, bs);
    const ia = broadcastIndex(as.slice(0, -2), batch), ib = broadcastIndex(bs.slice(0, -2), batch);
    let shape = [...batch, M, N];
    const inner = M * N;
    const coef = (v: Value, i: number) => (v.kind === 'const' ? v.data[i]! : 0);
    const out = ctx.linear(shape, [a, b], (o, add) => {
      const bt = Math.floor(o / inner), m = Math.floor((o % inner) / N), n = o % N;
      const abase = ia(bt) * M * K, bbase = ib(bt) * K * N;
      for (let k = 0; k < K; k++) {
        const ai = abase + m * K + k, bi = bbase + k * N + n;
        if (ctx.isStatic(b)) add(0, ai, coef(b, bi));
        else add(1, bi, coef(a, ai));
      }
      return 0;
    });
    if (a.shape.length === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
    if (b.shape.length === 1) shape = shape.slice(0, -1);
    if (sizeOf(shape) !== sizeOf(out.shape)) throw shapeError(node, as, bs);
    return [{ ...out, shape }];
  },
};
