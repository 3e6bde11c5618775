import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import { unsupported } from './op.js';
import { SIGMOID } from './sigmoid.js';
import { softmaxOver } from './softmax.js';

/** The flat indices of each row of an [N, C] tensor. */
export const rows = (N: number, C: number): number[][] => Array.from({ length: N }, (_, n) => Array.from({ length: C }, (_, c) => n * C + c));

/**
 * An `ai.onnx.ml` classifier's label per row of its scores [N, C]: `labels[argmax]` (the first
 * maximum, as onnxruntime). The labels must be evenly spaced integers (such as 0..C-1), so the
 * label is linear in the index.
 */
export function argmaxLabel(ctx: Context, node: OnnxNode, s: Value, labels: readonly number[]): Value {
  const [N, C] = s.shape as [number, number];
  const step = C > 1 ? labels[1]! - labels[0]! : 1;
  if (labels.some((l, i) => l !== labels[0]! + i * step)) throw unsupported(node, 'class labels must be evenly spaced integers (such as 0..C-1)');
  const idx = ctx.argmax(s, rows(N, C), [N]);
  return ctx.linear([N], [idx], (o, add) => { add(0, o, step); return labels[0]!; });
}

/** `hi` where `s[at(n)] > threshold`, else `lo`, per row n of N (a two-class decision). */
export function thresholdLabel(ctx: Context, s: Value, N: number, at: (n: number) => number, threshold: number, lo: number, hi: number): Value {
  // label = hi unless threshold - S >= 0.
  const notAbove = ctx.nonNegative(ctx.linear([N], [s], (o, add) => { add(0, at(o), -1); return threshold; }));
  return ctx.linear([N], [notAbove], (o, add) => { add(0, o, lo - hi); return hi; });
}

/** A classifier's probabilities from its scores [N, C]: `post_transform` NONE, SOFTMAX (per row) or LOGISTIC (per score). */
export function postTransform(ctx: Context, node: OnnxNode, s: Value, post: string): Value {
  const [N, C] = s.shape as [number, number];
  if (post === 'NONE') return s;
  if (post === 'SOFTMAX') return softmaxOver(ctx, s, rows(N, C), [N, 1]);
  if (post === 'LOGISTIC') return ctx.pwl(s, SIGMOID);
  throw unsupported(node, `probabilities with post_transform ${post} (NONE, SOFTMAX and LOGISTIC are supported; the label is supported with any)`);
}
