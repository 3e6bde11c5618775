import { broadcastIndex } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, unsupported } from './op.js';
import { matmulByConstant, matmulOfActivations } from './matmul.js';

/**
 * Gemm: `alpha * A' B' + beta * C`. With a constant B (weights) linear, no constraint; with a
 * computed B, a product of two matrices as MatMul's (one constraint per term when A is computed
 * too). C must be constant.
 */
export const gemm: OpDef = {
  types: ['Gemm'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    const alpha = attr(node, 'alpha', 1), beta = attr(node, 'beta', 1);
    const transA = attr(node, 'transA', 0), transB = attr(node, 'transB', 0);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw unsupported(node, `Gemm needs 2-D operands, got [${a.shape}] and [${b.shape}]`);
    const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [K2, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (K !== K2) throw shapeError(node, [M, K], [K2, N]);
    const c = inputs[2];
    if (c && !ctx.isStatic(c)) throw unsupported(node, 'a computed bias C is not supported; use Add');
    const ic = c ? broadcastIndex(c.shape, [M, N]) : undefined;
    const bias = (o: number) => (c && ctx.isStatic(c) ? beta * c.data[ic!(o)]! : 0);
    const ai = (m: number, k: number) => (transA ? k * M + m : m * K + k);
    const bi = (k: number, n: number) => (transB ? n * K + k : k * N + n);
    if (ctx.isStatic(b)) {
      return [ctx.linear([M, N], [a], (o, add) => {
        const m = Math.floor(o / N), n = o % N;
        for (let k = 0; k < K; k++) add(0, ai(m, k), alpha * b.data[bi(k, n)]!);
        return bias(o);
      })];
    }
    const at: Value = ctx.select([M, K], [a], (o) => [0, ai(Math.floor(o / K), o % K)]);
    const bt: Value = ctx.select([K, N], [b], (o) => [0, bi(Math.floor(o / N), o % N)]);
    const dims = { batch: [], M, K, N, ia: () => 0, ib: () => 0 };
    const p = ctx.isStatic(a) ? matmulByConstant(ctx, at, bt, dims) : matmulOfActivations(ctx, at, bt, dims);
    return [ctx.linear([M, N], [p], (o, add) => { add(0, o, alpha); return bias(o); })];
  },
};
