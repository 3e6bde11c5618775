import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import { argmaxLabel, postTransform, thresholdLabel } from './classifier.js';
import type { OpDef } from './op.js';
import { attr, need, unsupported } from './op.js';
import { divideBy } from './divTensor.js';
import { complement } from './elementwise.js';
import { reduceMax } from './reduceMax.js';
import { reduceMore } from './reduceMore.js';

/** `X W' + b` for X [N, F] and `coefficients` as T rows of F: scores [N, T]. Linear, no constraint. */
function linearScores(ctx: Context, node: OnnxNode, x: Value, targets: number): Value {
  const w = attr<number[]>(node, 'coefficients') ?? [];
  const b = attr<number[]>(node, 'intercepts') ?? [];
  const N = x.shape[0]!, F = x.shape.length === 2 ? x.shape[1]! : 1;
  if (x.shape.length > 2 || w.length !== targets * F) throw unsupported(node, `${w.length} coefficients for ${targets} target(s) of the input [${x.shape}]`);
  return ctx.linear([N, targets], [x], (o, add) => {
    const n = Math.floor(o / targets), t = o % targets;
    for (let f = 0; f < F; f++) add(0, n * F + f, w[t * F + f]!);
    return b[t] ?? 0;
  });
}

/** `ai.onnx.ml` LinearRegressor (skl2onnx's LinearRegression, Ridge, Lasso...): `X W' + b`, post_transform NONE. */
export const linearRegressor: OpDef = {
  types: ['LinearRegressor'],
  run(ctx, node, inputs) {
    const post = attr(node, 'post_transform', 'NONE');
    if (post !== 'NONE') throw unsupported(node, `post_transform ${post} (NONE is supported)`);
    return [linearScores(ctx, node, need(node, inputs, 0), attr(node, 'targets', 1))];
  },
};

/**
 * `ai.onnx.ml` LinearClassifier (LogisticRegression, LinearSVC, SGDClassifier): scores `X W' + b`,
 * the label and the probabilities as onnxruntime computes them. With one row of coefficients
 * and two labels (a binary model) the label is `labels[1]` when the score is above 0, and the
 * probabilities are the post_transform of `[-s, s]` (LOGISTIC gives `[1 - p, p]`). Otherwise the
 * label is the argmax of the scores and the probabilities their post_transform.
 */
export const linearClassifier: OpDef = {
  types: ['LinearClassifier'],
  run(ctx, node, inputs) {
    const labels = attr<number[]>(node, 'classlabels_ints');
    if (!labels) throw unsupported(node, 'string class labels (classlabels_strings); export integer labels');
    const x = need(node, inputs, 0);
    const rowsOfW = (attr<number[]>(node, 'intercepts') ?? []).length;
    const s = linearScores(ctx, node, x, rowsOfW);
    const post = attr(node, 'post_transform', 'NONE');
    const N = x.shape[0]!;
    if (rowsOfW === 1 && labels.length === 2) {
      if (post !== 'NONE' && post !== 'LOGISTIC') throw unsupported(node, `a binary model with post_transform ${post} (NONE and LOGISTIC are supported)`);
      const label = thresholdLabel(ctx, s, N, (n) => n, 0, labels[0]!, labels[1]!);
      if (!ctx.needs(node.outputs[1])) return [label];
      const both = ctx.linear([N, 2], [s], (o, add) => { add(0, Math.floor(o / 2), o % 2 === 0 ? -1 : 1); return 0; });
      return [label, postTransform(ctx, node, both, post)];
    }
    if (rowsOfW !== labels.length) throw unsupported(node, `${rowsOfW} rows of coefficients for ${labels.length} classes`);
    return [argmaxLabel(ctx, node, s, labels), ...(ctx.needs(node.outputs[1]) ? [postTransform(ctx, node, s, post)] : [])];
  },
};

/** `ai.onnx.ml` Scaler (StandardScaler, MinMaxScaler in a pipeline): `(x - offset) * scale` per feature. Linear. */
export const scaler: OpDef = {
  types: ['Scaler'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const offset = attr<number[]>(node, 'offset') ?? [0], scale = attr<number[]>(node, 'scale') ?? [1];
    const F = x.shape.at(-1)!;
    const at = (v: number[], f: number) => (v.length === 1 ? v[0]! : v[f]);
    if ([offset, scale].some((v) => v.length !== 1 && v.length !== F)) throw unsupported(node, `offset and scale need 1 or ${F} values`);
    return [ctx.linear(x.shape, [x], (o, add) => { const f = o % F; add(0, o, at(scale, f)!); return -at(offset, f)! * at(scale, f)!; })];
  },
};

/**
 * `ai.onnx.ml` ArrayFeatureExtractor with constant indices into computed data (columns of the
 * last axis), or with constant 1-D data and computed indices (skl2onnx maps
 * an MLP's argmax to its class labels this way): output [1, indices] is `data[index]`, linear
 * in the index when the data are evenly spaced (such as the labels 0..C-1).
 */
export const arrayFeatureExtractor: OpDef = {
  types: ['ArrayFeatureExtractor'],
  run(ctx, node, inputs) {
    const data = need(node, inputs, 0), idx = need(node, inputs, 1);
    if (ctx.isStatic(idx) && !ctx.isStatic(data)) {
      // Constant indices into computed data (skl2onnx's PolynomialFeatures picks the input's
      // columns this way): a selection along the last axis, data movement only. onnxruntime
      // reads a 1-D input as one row.
      const shape = data.shape.length === 1 ? [1, data.shape[0]!] : data.shape;
      const F = shape.at(-1)!, picks = Array.from(idx.data, (i) => (i < 0 ? i + F : i));
      if (picks.some((i) => !Number.isInteger(i) || i < 0 || i >= F)) throw unsupported(node, `an index outside the last axis (size ${F})`);
      return [ctx.select([...shape.slice(0, -1), picks.length], [data], (o) => [0, Math.floor(o / picks.length) * F + picks[o % picks.length]!])];
    }
    if (!ctx.isStatic(data) || data.shape.length !== 1) throw unsupported(node, 'the data must be a constant 1-D tensor (a class-label table)');
    const d = Array.from(data.data);
    const step = d.length > 1 ? d[1]! - d[0]! : 0;
    if (d.some((v, i) => v !== d[0]! + i * step)) throw unsupported(node, 'the data must be evenly spaced (such as class labels 0..C-1)');
    const n = idx.shape.reduce((a, b) => a * b, 1);
    return [ctx.linear([1, n], [idx], (o, add) => { add(0, o, step); return d[0]!; })];
  },
};

/**
 * `ai.onnx.ml` Normalizer (scikit-learn's Normalizer), each row of x [N, F] divided by its norm
 * as onnxruntime computes it: L1 the sum of |x|, L2 the square root of the sum of squares (the
 * general mechanism, as ReduceL2), MAX the row's largest value. The norm comes from the
 * Reduce operators and the division is the constrained division by a tensor, so a norm whose
 * calibrated range reaches 0 is refused (FunctionDomainError). An L1 Normalizer of a softmax's
 * rows is an Identity at import (graph/import.ts).
 */
export const normalizer: OpDef = {
  types: ['Normalizer'],
  run(ctx, node, inputs, opset) {
    const x = need(node, inputs, 0);
    const norm = attr(node, 'norm', 'MAX');
    const reduce = { L1: [reduceMore, 'ReduceL1'], L2: [reduceMore, 'ReduceL2'], MAX: [reduceMax, 'ReduceMax'] } as const;
    if (!(norm in reduce)) throw unsupported(node, `norm ${norm} (MAX, L1 and L2 are supported)`);
    const [op, opType] = reduce[norm as keyof typeof reduce];
    const [n] = op.run(ctx, { ...node, opType, attributes: { axes: [-1], keepdims: 1 } }, [x], opset);
    return [divideBy(ctx, node, x, n!, false)];
  },
};

/** `ai.onnx.ml` Binarizer (scikit-learn's Binarizer): 1 where x > threshold, else 0; one exact sign step per value. */
export const binarizer: OpDef = {
  types: ['Binarizer'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const threshold = attr(node, 'threshold', 0);
    // [x <= t] is the sign step of t - x; its complement is [x > t].
    return [complement(ctx, ctx.nonNegative(ctx.linear(x.shape, [x], (o, add) => { add(0, o, -1); return threshold; })))];
  },
};
