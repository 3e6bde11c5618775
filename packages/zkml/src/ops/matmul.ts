import { broadcastIndex, broadcastShapes, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { need, shapeError } from './op.js';

/**
 * MatMul with numpy semantics (1-D operands promoted, batch dimensions broadcast). With a
 * constant operand the product is linear in the other (no constraint); of two computed
 * operands (attention's `Q K^T` and `P V`) see {@link matmulOfActivations}.
 */
export const matmul: OpDef = {
  types: ['MatMul'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
    const [M, K] = as.slice(-2) as [number, number];
    const [K2, N] = bs.slice(-2) as [number, number];
    if (K !== K2) throw shapeError(node, as, bs);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    if (!batch) throw shapeError(node, as, bs);
    const ia = broadcastIndex(as.slice(0, -2), batch), ib = broadcastIndex(bs.slice(0, -2), batch);
    const dims: MatmulDims = { batch, M, K, N, ia, ib };
    let shape = [...batch, M, N];
    const out = !ctx.isStatic(a) && !ctx.isStatic(b) ? matmulOfActivations(ctx, a, b, dims) : matmulByConstant(ctx, a, b, dims);
    if (a.shape.length === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
    if (b.shape.length === 1) shape = shape.slice(0, -1);
    if (sizeOf(shape) !== sizeOf(out.shape)) throw shapeError(node, as, bs);
    return [{ ...out, shape }];
  },
};

/** `[...batch, M, K] x [...batch, K, N]`, with each operand's batch index from the broadcast batch index. */
export type MatmulDims = { batch: number[]; M: number; K: number; N: number; ia: (bt: number) => number; ib: (bt: number) => number };

/** The product when one operand is a compile-time constant: linear in the other, no constraint. */
export function matmulByConstant(ctx: Context, a: Value, b: Value, { batch, M, K, N, ia, ib }: MatmulDims): Value {
  const inner = M * N;
  const coef = (v: Value, i: number) => (v.kind === 'const' ? v.data[i]! : 0);
  return ctx.linear([...batch, M, N], [a, b], (o, add) => {
    const bt = Math.floor(o / inner), m = Math.floor((o % inner) / N), n = o % N;
    const abase = ia(bt) * M * K, bbase = ib(bt) * K * N;
    for (let k = 0; k < K; k++) {
      const ai = abase + m * K + k, bi = bbase + k * N + n;
      if (ctx.isStatic(b)) add(0, ai, coef(b, bi));
      else add(1, bi, coef(a, ai));
    }
    return 0;
  });
}

/**
 * The product of two computed matrices: each operand is requantised once (a bit
 * decomposition per element, none when it is already a plain signal), then every term
 * `a[m,k] * b[k,n]` is one product constraint (output scale the sum of the operands'
 * scales) and the sums over k are linear, folded into the next requantisation:
 * `batch x M x K x N` constraints. Every product is a constraint; nothing is only hinted.
 */
export function matmulOfActivations(ctx: Context, a: Value, b: Value, { batch, M, K, N, ia, ib }: MatmulDims): Value {
  // Requantise before spreading: a copy per use would pay the decomposition N (or M) times.
  const qa = ctx.materialize(a), qb = ctx.materialize(b);
  const terms = [...batch, M, N, K];
  const at = (o: number) => { const k = o % K, n = Math.floor(o / K) % N, m = Math.floor(o / (K * N)) % M, bt = Math.floor(o / (K * N * M)); return { bt, m, n, k }; };
  const left = ctx.select(terms, [qa], (o) => { const { bt, m, k } = at(o); return [0, ia(bt) * M * K + m * K + k]; });
  const right = ctx.select(terms, [qb], (o) => { const { bt, n, k } = at(o); return [0, ib(bt) * K * N + k * N + n]; });
  const p = ctx.product(left, right);
  return ctx.linear([...batch, M, N], [p], (o, add) => { for (let k = 0; k < K; k++) add(0, o * K + k, 1); return 0; });
}
