import { broadcastIndex } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OpDef } from './op.js';
import { attr, need, staticInput, unsupported } from './op.js';
import { broadcast, expandTo } from './elementwise.js';

/** `sum bits[k] 2^k` with the top bit negative (two's complement), linear. */
function fromBits(ctx: Context, bits: readonly Value[]): Value {
  const w = bits.length;
  return ctx.linear(bits[0]!.shape, bits, (o, add) => { bits.forEach((_, k) => add(k, o, k === w - 1 ? -(2 ** k) : 2 ** k)); return 0; });
}

/** Pads two bit lists to one width by repeating each one's sign bit (two's complement sign extension). */
function sameWidth(a: Value[], b: Value[]): [Value[], Value[]] {
  const w = Math.max(a.length, b.length);
  const extend = (x: Value[]) => [...x, ...new Array<Value>(w - x.length).fill(x[x.length - 1]!)];
  return [extend(a), extend(b)];
}

/**
 * BitwiseAnd, BitwiseOr and BitwiseXor on integer tensors, exact for signed and unsigned
 * types: both operands are decomposed into two's complement bits (`ctx.twosComplementBits`,
 * every bit constrained by the floor steps that produce it), combined bit by bit (And is
 * one product per bit, Or `a + b - ab`, Xor `a + b - 2ab`) and recomposed linearly.
 */
export const bitwise: OpDef = {
  types: ['BitwiseAnd', 'BitwiseOr', 'BitwiseXor'],
  run(ctx, node, inputs) {
    if (ctx.kinds.some((k) => k !== 'int')) throw unsupported(node, 'ONNX defines it on integer tensors only');
    const a = need(node, inputs, 0), b = need(node, inputs, 1);
    const shape = broadcast(node, a, b);
    const [ba, bb] = sameWidth(ctx.twosComplementBits(expandTo(ctx, a, shape)), ctx.twosComplementBits(expandTo(ctx, b, shape)));
    const bits = ba.map((x, k) => {
      const y = bb[k]!, xy = ctx.product(x, y);
      if (node.opType === 'BitwiseAnd') return xy;
      const c = node.opType === 'BitwiseOr' ? -1 : -2;
      return ctx.linear(shape, [x, y, xy], (o, add) => { add(0, o, 1); add(1, o, 1); add(2, o, c); return 0; });
    });
    return [fromBits(ctx, bits)];
  },
};

/**
 * BitwiseNot: `-x - 1` on signed integers (linear, no constraint). On an unsigned type it is
 * `2^width - 1 - x`, and the circuit does not know the width: a tensor whose proved range
 * has no negative value is refused, as it may be unsigned.
 */
export const bitwiseNot: OpDef = {
  types: ['BitwiseNot'],
  run(ctx, node, inputs) {
    if (ctx.kinds[0] !== 'int') throw unsupported(node, 'ONNX defines it on integer tensors only');
    const x = need(node, inputs, 0);
    if (ctx.mode === 'lower' && ctx.bounds(x)[0] >= 0) throw unsupported(node, 'its input is never negative, so it may be an unsigned type, whose complement depends on the type\'s width, which the circuit does not track');
    return [ctx.linear(x.shape, [x], (o, add) => { add(0, o, -1); return -1; })];
  },
};

/** Results of a left shift must stay below this (the narrowest unsigned type, uint8, wraps at it). */
const LEFT_SHIFT_LIMIT = 256;

/**
 * BitShift (unsigned types, constant shift amounts). RIGHT is `floor(x / 2^k)`: the bits of
 * x from k up, recomposed (bits from `ctx.twosComplementBits`; the input encoding also admits
 * negative values, which no unsigned tensor holds: they shift arithmetically). LEFT is `x * 2^k`, linear;
 * ONNX wraps it at the type's width, which the circuit does not track, so a left shift whose
 * proved result can reach 256 (uint8's limit) is refused rather than proved unwrapped.
 */
export const bitShift: OpDef = {
  types: ['BitShift'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const y = staticInput(ctx, node, inputs, 1, 'shift amounts');
    const shape = broadcast(node, x, y);
    const iy = broadcastIndex(y.shape, shape);
    const amount = (o: number) => y.data[iy(o)]!;
    const ex = expandTo(ctx, x, shape);
    if (attr(node, 'direction', '') === 'LEFT') {
      const out = ctx.linear(shape, [ex], (o, add) => { add(0, o, 2 ** amount(o)); return 0; });
      if (ctx.mode === 'lower' && ctx.bounds(out)[1] >= LEFT_SHIFT_LIMIT) throw unsupported(node, `a shifted value may reach ${ctx.bounds(out)[1]}, where an unsigned type may wrap around; wrap-around is not proved`);
      return [out];
    }
    if (attr(node, 'direction', '') !== 'RIGHT') throw unsupported(node, 'direction must be LEFT or RIGHT');
    const bits = ctx.twosComplementBits(ex);
    return [ctx.linear(shape, bits, (o, add) => { for (let k = amount(o); k < bits.length; k++) add(k, o, 2 ** (k - amount(o))); return 0; })];
  },
};

/** IsNaN and IsInf: every quantised value is a finite field element, so both are constant false (no constraint). */
export const isNaN: OpDef = {
  types: ['IsNaN', 'IsInf'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    return [ctx.select(x.shape, [x], () => 0)];
  },
};
