// The templates of circuits/verity.circom (and the circomlib ones they use) as gadgets over a
// ConstraintSystem. Each accepts exactly the witnesses its template accepts (projected on the
// template's inputs and outputs) with the constraint count circom's --O2 leaves: a linear
// constraint is never a constraint here, it substitutes one wire (as --O2 does).
import { inverse, mod, plus, signed, sub, type ConstraintSystem } from './system.js';

/** The hint values of a gadget: the honest ones, or a dishonest prover's (soundness tests). */
const chosen = <L>(cs: ConstraintSystem<L>, kind: Parameters<NonNullable<ConstraintSystem<L>['adversary']>>[0], where: string, honest: bigint[]): readonly bigint[] =>
  cs.adversary ? cs.adversary(kind, where, honest) : honest;
import { RangeOverflowError } from '../errors/compile.js';
import { packedRange } from '../io/layout.js';

const pow2 = (i: number) => 1n << BigInt(i);

/**
 * circomlib's Num2Bits(B) of `x`: B boolean constraints. Bits 1..B-1 are wires, bit 0 is
 * `x - sum(2^i b_i)`, so the sum constraint needs no constraint of its own.
 */
export function num2bits<L>(cs: ConstraintSystem<L>, x: L, B: number, where: string): L[] {
  let v = cs.value(x);
  if (cs.mode === 'values' && v >= pow2(B)) {
    if (!cs.adversary) throw new RangeOverflowError({ where, bits: B, value: signed(v) });
    v &= pow2(B) - 1n;
  }
  const bits: L[] = [undefined as L];
  for (let i = 1; i < B; i++) {
    const b = cs.alloc(() => (v >> BigInt(i)) & 1n);
    cs.constrain(b, plus(cs, b, -1n), cs.constant(0n));
    bits.push(b);
  }
  const b0 = cs.linear(0n, [[x, 1n], ...bits.slice(1).map((b, i) => [b, -pow2(i + 1)] as const)]);
  if (B === 0) { cs.constrain(b0, cs.constant(1n), cs.constant(0n)); return []; }
  cs.constrain(b0, plus(cs, b0, -1n), cs.constant(0n));
  bits[0] = b0;
  return bits;
}

/** B fresh boolean wires holding `v` (a hinted value that is its bits' sum): B constraints. */
export function hintedBits<L>(cs: ConstraintSystem<L>, v: () => bigint, B: number, where: string): { bits: L[]; sum: L } {
  let value = 0n;
  if (cs.mode === 'values') {
    value = v();
    if (value < 0n || value >= pow2(B)) {
      if (!cs.adversary) throw new RangeOverflowError({ where, bits: B, value });
      value = mod(value) & (pow2(B) - 1n);
    }
  }
  const bits = Array.from({ length: B }, (_, i) => {
    const b = cs.alloc(() => (value >> BigInt(i)) & 1n);
    cs.constrain(b, plus(cs, b, -1n), cs.constant(0n));
    return b;
  });
  return { bits, sum: weighted(cs, bits, 0) };
}

/** `sum(2^(i - from) * bits[i])` over i >= from. */
const weighted = <L>(cs: ConstraintSystem<L>, bits: readonly L[], from: number, to = bits.length) =>
  cs.linear(0n, bits.slice(from, to).map((b, i) => [b, pow2(i)] as const));

/** ReluRequant, Requant or Sign of verity.circom on the accumulator `x`. */
export function requant<L>(cs: ConstraintSystem<L>, x: L, B: number, shift: number, act: 'none' | 'relu' | 'sign', where: string): L {
  const round = act === 'sign' || shift === 0 ? 0n : pow2(shift - 1);
  const bits = num2bits(cs, plus(cs, x, round + pow2(B - 1)), B, where);
  if (act === 'sign') return bits[B - 1]!;
  if (act === 'none') return plus(cs, weighted(cs, bits, shift), -pow2(B - 1 - shift));
  const q = weighted(cs, bits, shift, B - 1);
  const top = bits[B - 1]!;
  const out = cs.alloc(() => cs.value(top) * cs.value(q));
  cs.constrain(top, q, out);
  return out;
}

/**
 * The generated Pwl template: Num2Bits(k) of `x`, circomlib's Decoder(2^t) on the top t bits
 * (its `success === 1` substitutes selector 0), then `out = a + b * r`.
 */
export function pwl<L>(cs: ConstraintSystem<L>, x: L, k: number, t: number, A: readonly bigint[], B: readonly bigint[], where: string): L {
  const low = k - t;
  const bits = num2bits(cs, x, k, where);
  const r = weighted(cs, bits, 0, low);
  const seg = weighted(cs, bits, low);
  const n = 2 ** t;
  const [segment] = cs.mode === 'values' ? chosen(cs, 'pwl', where, [cs.value(seg), BigInt(n)]) : [0n];
  const sel: L[] = [];
  for (let j = 1; j < n; j++) sel[j] = cs.alloc(() => (segment === BigInt(j) ? 1n : 0n));
  sel[0] = cs.linear(1n, sel.slice(1).map((s) => [s, -1n] as const));
  for (let j = 0; j < n; j++) cs.constrain(sel[j]!, plus(cs, seg, -BigInt(j)), cs.constant(0n));
  const a = cs.linear(0n, sel.map((s, j) => [s, A[j]!] as const));
  const b = cs.linear(0n, sel.map((s, j) => [s, B[j]!] as const));
  const out = cs.alloc(() => cs.value(a) + cs.value(b) * cs.value(r));
  cs.constrain(b, r, sub(cs, out, a));
  return out;
}

/** `a * b`: one constraint. */
export function product<L>(cs: ConstraintSystem<L>, a: L, b: L): L {
  const out = cs.alloc(() => cs.value(a) * cs.value(b));
  cs.constrain(a, b, out);
  return out;
}

/**
 * ArgMax(n, B) of verity.circom: a one-hot selector (its `total === 1` substitutes selector
 * 0), m = sum(sel * in) at least every value and above every value before the chosen index.
 */
export function argmax<L>(cs: ConstraintSystem<L>, ins: readonly L[], B: number, where: string): L {
  const n = ins.length;
  let best = 0;
  if (cs.mode === 'values') {
    for (let i = 1; i < n; i++) if (signed(cs.value(ins[i]!)) > signed(cs.value(ins[best]!))) best = i;
    best = Number(chosen(cs, 'argmax', where, [BigInt(best), BigInt(n)])[0]);
  }
  const sel: L[] = [];
  for (let i = 1; i < n; i++) sel[i] = cs.alloc(() => (i === best ? 1n : 0n));
  sel[0] = cs.linear(1n, sel.slice(1).map((s) => [s, -1n] as const));
  const prod: L[] = [];
  for (let i = 0; i < n; i++) {
    cs.constrain(sel[i]!, plus(cs, sel[i]!, -1n), cs.constant(0n));
    prod.push(product(cs, sel[i]!, ins[i]!));
  }
  const m = cs.linear(0n, prod.map((p) => [p, 1n] as const));
  for (let i = 0; i < n; i++) {
    const before = cs.linear(0n, sel.slice(i + 1).map((s) => [s, 1n] as const));
    num2bits(cs, cs.linear(0n, [[m, 1n], [ins[i]!, -1n], [before, -1n]]), B, where);
  }
  return cs.linear(0n, sel.map((s, i) => [s, BigInt(i)] as const));
}

/** DivFloor(qBits, rBits): `num = q * den + r`, r < den, q and r range-checked. */
export function divFloor<L>(cs: ConstraintSystem<L>, num: L, den: L, qBits: number, rBits: number, where: string): L {
  const n = signed(cs.value(num)), d = signed(cs.value(den));
  const [qv, rv] = cs.mode === 'values' ? chosen(cs, 'div', where, [d > 0n ? n / d : 0n, d > 0n ? n % d : n, d]) : [0n, 0n];
  const q = hintedBits(cs, () => qv!, qBits, where).sum;
  const r = hintedBits(cs, () => rv!, rBits, where).sum;
  cs.constrain(q, den, sub(cs, num, r));
  num2bits(cs, cs.linear(-1n, [[den, 1n], [r, -1n]]), rBits, where);
  return q;
}

/**
 * DivFloor with a constant divisor `den`: `r = num - q * den` is a linear combination, so the
 * equation costs nothing and r's two range checks are Num2Bits of combinations (circom's --O2
 * substitutes the same wire): qBits + 2 rBits constraints.
 */
export function divByConstant<L>(cs: ConstraintSystem<L>, num: L, den: bigint, qBits: number, rBits: number, where: string): L {
  const n = signed(cs.value(num));
  const [qv] = cs.mode === 'values' ? chosen(cs, 'div', where, [n / den, n % den, den]) : [0n];
  const q = hintedBits(cs, () => qv!, qBits, where).sum;
  const r = cs.linear(0n, [[num, 1n], [q, -den]]);
  num2bits(cs, r, rBits, where);
  num2bits(cs, cs.linear(den - 1n, [[r, -1n]]), rBits, where);
  return q;
}

/** IsZeroOut: 1 when x is 0, else 0 (an inverse hint, two constraints). */
export function isZero<L>(cs: ConstraintSystem<L>, x: L, where: string): L {
  const v = cs.value(x);
  const [outv, invv] = cs.mode === 'values' ? chosen(cs, 'iszero', where, [v === 0n ? 1n : 0n, v === 0n ? 0n : inverse(v)]) : [0n, 0n];
  const inv = cs.alloc(() => invv!);
  const out = cs.alloc(() => outv!);
  cs.constrain(x, inv, cs.linear(1n, [[out, -1n]]));
  cs.constrain(x, out, cs.constant(0n));
  return out;
}

/** RSqrt(K, rBits, slackBits): the largest r with r^2 x <= 2^(2K). */
export function rsqrt<L>(cs: ConstraintSystem<L>, x: L, K: number, rBits: number, slackBits: number, where: string): L {
  const one = pow2(2 * K);
  const v = signed(cs.value(x));
  const r = hintedBits(cs, () => {
    let r = 0n;
    for (let i = rBits - 1; i >= 0; i--) { const c = r + pow2(i); if (c * c * v <= one) r = c; }
    return chosen(cs, 'rsqrt', where, [r])[0]!;
  }, rBits, where).sum;
  const r2 = product(cs, r, r);
  const t = product(cs, r2, x);
  const rv = product(cs, r, x);
  num2bits(cs, cs.linear(one, [[t, -1n]]), slackBits, where);
  num2bits(cs, cs.linear(-one - 1n, [[t, 1n], [rv, 2n], [x, 1n]]), slackBits, where);
  return r;
}

/**
 * InputPack(n, width, perChunk): range-checks each input (see {@link packedRange}) and packs them
 * big-endian, `perChunk` to a field element.
 */
export function inputPack<L>(cs: ConstraintSystem<L>, u: readonly L[], width: number, perChunk: number, what = 'input', bounds?: readonly [number, number]): L[] {
  const { lo, bits } = packedRange(width, bounds);
  u.forEach((x, i) => num2bits(cs, plus(cs, x, -lo), bits, `${what} ${i}`));
  const chunks: L[] = [];
  for (let k = 0; k * perChunk < u.length; k++) {
    const part = u.slice(k * perChunk, (k + 1) * perChunk);
    chunks.push(cs.linear(0n, part.map((x, j) => [x, 256n ** BigInt(width * (part.length - 1 - j))] as const)));
  }
  return chunks;
}
