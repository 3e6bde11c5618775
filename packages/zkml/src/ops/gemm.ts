import { broadcastIndex } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, staticInput, unsupported } from './op.js';

/** Gemm: `alpha * A' B' + beta * C` with a constant B (weights); linear, no constraint. */
export const gemm: OpDef = {
  types: ['Gemm'],
  run(ctx, node, inputs) {
    const a = need(node, inputs, 0);
    const b = staticInput(ctx, node, inputs, 1, 'weight matrix B');
    const alpha = attr(node, 'alpha', 1), beta = attr(node, 'beta', 1);
    const transA = attr(node, 'transA', 0), transB = attr(node, 'transB', 0);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw unsupported(node, `Gemm needs 2-D operands, got [${a.shape}] and [${b.shape}]`);
    const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [K2, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (K !== K2) throw shapeError(node, [M, K], [K2, N]);
    const c = inputs[2];
    if (c && !ctx.isStatic(c)) throw unsupported(node, 'a computed bias C is not supported; use Add');
    const ic = c ? broadcastIndex(c.shape, [M, N]) : undefined;
    const ai = (m: number, k: number) => (transA ? k * M + m : m * K + k);
    const bi = (k: number, n: number) => (transB ? n * K + k : k * N + n);
    return [ctx.linear([M, N], [a], (o, add) => {
      const m = Math.floor(o / N), n = o % N;
      for (let k = 0; k < K; k++) add(0, ai(m, k), alpha * b.data[bi(k, n)]!);
      return c && ctx.isStatic(c) ? beta * c.data[ic!(o)]! : 0;
    })];
  },
};
