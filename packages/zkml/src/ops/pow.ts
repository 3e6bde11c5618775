import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { need, unsupported } from './op.js';
import { unaryValue } from './unary.js';

/** `x^n` for an integer n >= 1 by square-and-multiply: exact products (one constraint per element each). */
function power(ctx: Context, x: Value, n: number): Value {
  const q = ctx.materialize(x);
  let result: Value | undefined;
  let base = q;
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) result = result ? ctx.product(result, base) : base;
    if (e > 1) base = ctx.product(base, base);
  }
  return result!;
}

/**
 * Pow with a constant exponent: 0 gives ones, a positive integer exact products (2 is one Mul),
 * anything else x^p through the general mechanism (domain x >= 0 for a fractional exponent,
 * x != 0 of one sign for a negative one). A constant base b with a computed exponent is b^x
 * through the mechanism. Both computed is refused.
 */
export const pow: OpDef = {
  types: ['Pow'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0), y = need(node, inputs, 1);
    if (ctx.isStatic(x) && !ctx.isStatic(y)) {
      if (x.data.length !== 1 || !(x.data[0]! > 0)) throw unsupported(node, 'a constant base with a computed exponent must be one positive number');
      const b = x.data[0]!;
      return [unaryValue(ctx, y, { name: `${b}^x`, f: (e) => b ** e, lo: -4, hi: 4 })];
    }
    if (!ctx.isStatic(y)) throw unsupported(node, 'both the base and the exponent are computed from the model input; the exponent must be a constant');
    const p = y.data[0]!;
    if (y.data.some((v) => v !== p)) throw unsupported(node, 'the exponent must be one number (the same for every element)');
    if (p === 0) return [ctx.linear(x.shape, [x], () => 1)];
    if (Number.isInteger(p) && p > 0 && p <= 64) return [power(ctx, x, p)];
    const domain = p < 0 ? (Number.isInteger(p) ? 'nonzero' : 'positive') : 'nonnegative';
    return [unaryValue(ctx, x, { name: `x^${p}`, f: (v) => v ** p, lo: domain === 'nonnegative' ? 0 : 0.25, hi: 4, domain })];
  },
};
