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

/** Widths of ONNX's unsigned integer types (TensorProto.DataType): uint8, uint16, uint32, uint64. */
const UNSIGNED_BITS: Readonly<Record<number, number>> = { 2: 8, 4: 16, 12: 32, 13: 64 };
/** Largest unsigned width whose all-ones constant a float64 holds exactly. */
const MAX_EXACT_WIDTH = 32;

/**
 * BitwiseNot: `-x - 1` on signed integers, `2^w - 1 - x` on w-bit unsigned ones (the type read
 * from the graph): linear, no constraint. uint64 is refused (its all-ones constant is beyond
 * float64's exact integers).
 */
export const bitwiseNot: OpDef = {
  types: ['BitwiseNot'],
  run(ctx, node, inputs) {
    if (ctx.kinds[0] !== 'int') throw unsupported(node, 'ONNX defines it on integer tensors only');
    const x = need(node, inputs, 0);
    const w = UNSIGNED_BITS[ctx.types[0] ?? 0];
    if (w !== undefined && w > MAX_EXACT_WIDTH) throw unsupported(node, `its input is a ${w}-bit unsigned tensor, whose complement is beyond float64's exact integers`);
    return [ctx.linear(x.shape, [x], (o, add) => { add(0, o, -1); return w === undefined ? -1 : 2 ** w - 1; })];
  },
};

/**
 * BitShift (unsigned types, constant shift amounts). RIGHT is `floor(x / 2^k)`: the bits of
 * x from k up, recomposed (bits from `ctx.twosComplementBits`; the input encoding also admits
 * negative values, which no unsigned tensor holds: they shift arithmetically). LEFT is
 * `x * 2^k`, linear, while the proved result stays below 2^w for the type's width w; beyond,
 * it wraps as ONNX does: the bits of x below w - k, recomposed k places up.
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
    const direction = attr(node, 'direction', '');
    if (direction !== 'LEFT' && direction !== 'RIGHT') throw unsupported(node, 'direction must be LEFT or RIGHT');
    const w = UNSIGNED_BITS[ctx.types[0] ?? 0];
    if (w === undefined) throw unsupported(node, 'ONNX defines it on unsigned integer tensors only');
    if (direction === 'LEFT') {
      const shifted = ctx.linear(shape, [ex], (o, add) => { add(0, o, 2 ** amount(o)); return 0; });
      if (ctx.bounds(shifted)[1] < 2 ** w) return [shifted];
      const bits = ctx.twosComplementBits(ex);
      return [ctx.linear(shape, bits, (o, add) => { for (let k = 0; k + amount(o) < w && k < bits.length; k++) add(k, o, 2 ** (k + amount(o))); return 0; })];
    }
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
