import { FunctionDomainError } from '../errors/quantize.js';
import type { Value } from '../ir/value.js';
import { scaleFor, type Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import { broadcast, expandTo } from './elementwise.js';

const neg = (ctx: Context, x: Value) => ctx.linear(x.shape, [x], (o, add) => { add(0, o, -1); return 0; });

/**
 * `a / b` with a computed divisor: constrained floor divisions (num = q den + r, 0 <= r < den,
 * q and r range-checked: DivFloor) of relu(a) and relu(-a) by the divisor, subtracted, which
 * truncates toward zero (ONNX's integer Div; for floats, one output step of error). The
 * divisor's calibrated range must not contain 0 (FunctionDomainError at compile time); a
 * negative range divides -a by -b. In the circuit the divisor is clamped to at least half its
 * calibrated smallest magnitude (an exact relu), so every input has a proof and no division by
 * zero exists. The output scale follows the calibrated quotient (0 for integers).
 */
export function divideBy(ctx: Context, node: OnnxNode, a: Value, b: Value, integer: boolean): Value {
  const shape = broadcast(node, a, b);
  let ea = expandTo(ctx, a, shape), eb = expandTo(ctx, b, shape);
  const seen = ctx.span(eb);
  const fa = ea, fb = eb;
  const ratio = ctx.span(fa.kind === 'const' && fb.kind === 'const' ? { kind: 'const', shape, data: fa.data.map((v, i) => v / fb.data[i]!) } : fa);
  const lowering = ctx.mode === 'lower';
  if (lowering && (!seen || (seen[0] <= 0 && seen[1] >= 0))) {
    throw new FunctionDomainError({ node: node.name, opType: node.opType, what: 'divisor', range: seen ?? [0, 0], domain: 'never 0: all positive or all negative' });
  }
  const negative = lowering && seen![1] < 0;
  if (negative) { ea = neg(ctx, ea); eb = neg(ctx, eb); }
  const qb = ctx.materialize(eb);
  // The clamp floor, a whole number of the divisor's units (at least one).
  let floor = -Infinity;
  if (qb.kind === 'sym') {
    const scale = Math.max(...qb.forms.flatMap((f) => [...f.t.keys()].map((id) => ctx.signals[id]!.scale)));
    const unit = 2 ** -scale;
    floor = Math.max(1, Math.floor((negative ? -seen![1] : seen![0]) / 2 / unit)) * unit;
  } else {
    floor = Math.min(0, ...qb.data) - 1; // float semantics: no clamp
  }
  const r = ctx.requant(ctx.linear(shape, [qb], (o, add) => { add(0, o, 1); return -floor; }), 'relu', { exact: true });
  const den = ctx.linear(shape, [r], (o, add) => { add(0, o, 1); return floor; });
  const qa = ctx.materialize(ea);
  const pos = ctx.requant(qa, 'relu', { exact: true });
  const negPart = ctx.requant(neg(ctx, qa), 'relu', { exact: true });
  const big = ratio ? Math.max(Math.abs(ratio[0]), Math.abs(ratio[1])) : 1;
  const scale = integer ? 0 : Math.min(24, scaleFor(big, ctx.activationBits));
  const qp = ctx.divide(pos, den, { scale, denMin: Math.max(floor, 2 ** -40) });
  const qn = ctx.divide(negPart, den, { scale, denMin: Math.max(floor, 2 ** -40) });
  const y = ctx.linear(shape, [qp, qn], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
  // Integer tensors: ONNX truncates toward zero (the circuit's two floors do the same).
  return integer && y.kind === 'const' ? { ...y, data: y.data.map(Math.trunc) } : y;
}
