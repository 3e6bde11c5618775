import type { OpDef } from './op.js';
import { attr, need, unsupported } from './op.js';

const EXP_NEG = { name: 'exp', f: Math.exp, lo: -16, hi: 0 };

/**
 * `ai.onnx.ml` SVMRegressor (scikit-learn's SVR, NuSVR, as skl2onnx exports them), as onnxruntime
 * computes it: `sum_i coefficients[i] K(x, sv_i) + rho`. LINEAR `K = x.sv` is linear; RBF
 * `K = exp(-gamma |x - sv|^2)` takes the squared distance from one product per feature
 * (`|x|^2 - 2 x.sv + |sv|^2`, linear in those) and exp through the general mechanism over its
 * calibrated range (at most 0), one table per support vector. POLY and SIGMOID kernels and
 * one-class models are refused with UnsupportedOperatorError.
 */
export const svmRegressor: OpDef = {
  types: ['SVMRegressor'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const kernel = attr(node, 'kernel_type', 'LINEAR');
    const [gamma = 0.1] = attr<number[]>(node, 'kernel_params') ?? [];
    const sv = attr<number[]>(node, 'support_vectors') ?? [], coef = attr<number[]>(node, 'coefficients') ?? [];
    const rho = (attr<number[]>(node, 'rho') ?? [0])[0] ?? 0;
    if (attr(node, 'one_class', 0) !== 0) throw unsupported(node, 'a one-class model');
    if (attr(node, 'post_transform', 'NONE') !== 'NONE') throw unsupported(node, `post_transform ${attr(node, 'post_transform', 'NONE')} (NONE is supported)`);
    if (x.shape.length !== 2) throw unsupported(node, `an input of shape [${x.shape}] (rows of features are supported)`);
    const [N, F] = x.shape as [number, number];
    const S = coef.length;
    if (S === 0 || sv.length !== S * F) throw unsupported(node, `${sv.length} support-vector values for ${S} coefficients of ${F} features (a linear SVR exports no support vectors)`);
    if (kernel === 'LINEAR') {
      // sum_i c_i (x . sv_i) + rho = x . (sum_i c_i sv_i) + rho
      const w = Array.from({ length: F }, (_, f) => coef.reduce((acc, c, i) => acc + c * sv[i * F + f]!, 0));
      return [ctx.linear([N, 1], [x], (o, add) => { for (let f = 0; f < F; f++) add(0, o * F + f, w[f]!); return rho; })];
    }
    if (kernel !== 'RBF') throw unsupported(node, `kernel ${kernel} (LINEAR and RBF are supported)`);
    const q = ctx.materialize(x);
    const sq = ctx.product(q, q);
    const norms = Array.from({ length: S }, (_, i) => sv.slice(i * F, (i + 1) * F).reduce((a, v) => a + v * v, 0));
    // -gamma |x_n - sv_i|^2 for every row n and support vector i: [N, S], linear in x and x^2.
    const d = ctx.linear([N, S], [q, sq], (o, add) => {
      const n = Math.floor(o / S), i = o % S;
      for (let f = 0; f < F; f++) { add(1, n * F + f, -gamma); add(0, n * F + f, 2 * gamma * sv[i * F + f]!); }
      return -gamma * norms[i]!;
    });
    const k = ctx.approx(d, EXP_NEG, { atMost: 0 });
    return [ctx.linear([N, 1], [k], (o, add) => { for (let i = 0; i < S; i++) add(0, o * S + i, coef[i]!); return rho; })];
  },
};
