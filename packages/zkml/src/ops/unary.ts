import { erf, type UnaryFunction } from '../lower/approx.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import { clamp } from './clip.js';
import type { OpDef } from './op.js';
import { attr, need } from './op.js';

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const SELU_ALPHA = 1.67326319217681884765625, SELU_GAMMA = 1.05070102214813232421875;
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/**
 * Elementwise functions through the general mechanism ({@link Context.approx}): a Pwl table over
 * the calibrated input range, with these default windows when no calibration is given. A
 * function that grows like x on one side is split as relu(x) + g(x), where g tends to a constant
 * at both ends, so the table's saturation outside the window costs (almost) nothing.
 */
const UNARY: Record<string, (node: OnnxNode) => { fn: UnaryFunction; relu?: number }> = {
  Exp: () => ({ fn: { name: 'exp', f: Math.exp, lo: -8, hi: 4 } }),
  Log: () => ({ fn: { name: 'log', f: Math.log, lo: 0.125, hi: 8, domain: 'positive' } }),
  Sqrt: () => ({ fn: { name: 'sqrt', f: Math.sqrt, lo: 0, hi: 16, domain: 'nonnegative' } }),
  Reciprocal: () => ({ fn: { name: 'reciprocal', f: (x) => 1 / x, lo: 0.25, hi: 4, domain: 'nonzero' } }),
  Erf: () => ({ fn: { name: 'erf', f: erf, lo: -3, hi: 3 } }),
  Sin: () => ({ fn: { name: 'sin', f: Math.sin, lo: -Math.PI, hi: Math.PI } }),
  Cos: () => ({ fn: { name: 'cos', f: Math.cos, lo: -Math.PI, hi: Math.PI } }),
  Softsign: () => ({ fn: { name: 'softsign', f: (x) => x / (1 + Math.abs(x)), lo: -8, hi: 8 } }),
  Softplus: () => ({ fn: { name: 'softplus-relu', f: (x) => softplus(x) - Math.max(0, x), lo: -8, hi: 8 }, relu: 1 }),
  Gelu: (node) => attr(node, 'approximate', 'none') === 'tanh'
    ? { fn: { name: 'gelu_tanh-relu', f: (x) => geluTanh(x) - Math.max(0, x), lo: -6, hi: 6 }, relu: 1 }
    : { fn: { name: 'gelu-relu', f: (x) => gelu(x) - Math.max(0, x), lo: -6, hi: 6 }, relu: 1 },
  Mish: () => ({ fn: { name: 'mish-relu', f: (x) => x * Math.tanh(softplus(x)) - Math.max(0, x), lo: -8, hi: 8 }, relu: 1 }),
  Elu: (node) => { const a = attr(node, 'alpha', 1); return { fn: { name: 'elu-relu', f: (x) => (x < 0 ? a * Math.expm1(x) : 0), lo: -8, hi: 1 }, relu: 1 }; },
  Celu: (node) => { const a = attr(node, 'alpha', 1); return { fn: { name: 'celu-relu', f: (x) => (x < 0 ? a * Math.expm1(x / a) : 0), lo: -8 * a, hi: a }, relu: 1 }; },
  Selu: (node) => {
    const a = attr(node, 'alpha', SELU_ALPHA), g = attr(node, 'gamma', SELU_GAMMA);
    return { fn: { name: 'selu-relu', f: (x) => (x < 0 ? g * a * Math.expm1(x) : 0), lo: -8, hi: 1 }, relu: g };
  },
};

/** `fn(x)` elementwise, as `relu * relu(x) + fn(x)` when `relu` is given (the relu is exact). */
export function unaryValue(ctx: Context, x: Value, fn: UnaryFunction, relu?: number): Value {
  if (relu === undefined) return ctx.approx(x, fn);
  const q = ctx.materialize(x);
  const r = ctx.requant(q, 'relu', { exact: true });
  const g = ctx.approx(q, fn);
  return ctx.linear(q.shape, [r, g], (o, add) => { add(0, o, relu); add(1, o, 1); return 0; });
}

/** Exp, Log, Sqrt, Reciprocal, Erf, Gelu, Softplus, Softsign, Elu, Selu, Celu, Mish, Sin, Cos. */
export const unary: OpDef = {
  types: Object.keys(UNARY),
  run(ctx, node, inputs) {
    const { fn, relu } = UNARY[node.opType]!(node);
    return [unaryValue(ctx, need(node, inputs, 0), fn, relu)];
  },
};

/** Abs = 2 relu(x) - x and Neg = -x: exact (one ReluRequant, or nothing). */
export const absNeg: OpDef = {
  types: ['Abs', 'Neg'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    if (node.opType === 'Neg') return [ctx.linear(x.shape, [x], (o, add) => { add(0, o, -1); return 0; })];
    const q = ctx.materialize(x);
    const r = ctx.requant(q, 'relu', { exact: true });
    return [ctx.linear(q.shape, [q, r], (o, add) => { add(0, o, -1); add(1, o, 2); return 0; })];
  },
};

/** Sign = [x >= 0] - [-x >= 0]: two exact sign steps (0 at 0). */
export const sign: OpDef = {
  types: ['Sign'],
  run(ctx, node, inputs) {
    const q = ctx.materialize(need(node, inputs, 0));
    const pos = ctx.nonNegative(q);
    const neg = ctx.nonNegative(ctx.linear(q.shape, [q], (o, add) => { add(0, o, -1); return 0; }));
    return [ctx.linear(q.shape, [pos, neg], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; })];
  },
};

/**
 * HardSigmoid = clamp(alpha x + beta, 0, 1) and HardSwish = x HardSigmoid(x) with alpha 1/6,
 * beta 1/2: exact clamps (two ReluRequants) and, for HardSwish, one product.
 */
export const hard: OpDef = {
  types: ['HardSigmoid', 'HardSwish'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const swish = node.opType === 'HardSwish';
    const a = swish ? 1 / 6 : attr(node, 'alpha', 0.2), b = swish ? 0.5 : attr(node, 'beta', 0.5);
    const q = ctx.materialize(x);
    const h = clamp(ctx, ctx.linear(q.shape, [q], (o, add) => { add(0, o, a); return b; }), 0, 1);
    return [swish ? ctx.product(q, h) : h];
  },
};

/** Floor, Ceil and Round (half to even): exact on the fixed-point value, by a remainder-checked division. */
export const rounding: OpDef = {
  types: ['Floor', 'Ceil', 'Round'],
  run(ctx, node, inputs) {
    return [ctx.roundTo(need(node, inputs, 0), node.opType === 'Floor' ? 'floor' : node.opType === 'Ceil' ? 'ceil' : 'round')];
  },
};
