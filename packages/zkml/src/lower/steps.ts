/**
 * The integer program a model lowers to. Every value in the circuit lives in one flat
 * signal array `w` (the encoded inputs first). A step reads integer affine forms over `w`
 * and writes new signals; each step kind has its integer semantics here, its circuit
 * template in circuits/verity.circom (or generated beside it), and its constraint count.
 */

/** `c + sum(k[j] * w[i[j]])` over the signal array. */
export type IntForm = { c: bigint; i: number[]; k: bigint[] };

/**
 * Divides each accumulator by 2^shift (rounded half up) after one bit decomposition of
 * `bits` bits, which range-checks it; `relu` clamps at zero, `sign` outputs 1 when the
 * accumulator is non-negative and 0 otherwise. `weights` marks steps whose coefficients are
 * model weights (they become private signals in the weights-as-signals encoding).
 */
export type RequantStep = { kind: 'requant'; name: string; act: 'none' | 'relu' | 'sign'; out: number; forms: IntForm[]; shift: number[]; bits: number[]; weights: boolean };
/**
 * Piecewise-linear function on `[0, 2^k)`: the top `t` bits of the input select a segment,
 * the low bits `r` interpolate: `y = A[seg] + B[seg] * r`.
 */
export type PwlStep = { kind: 'pwl'; name: string; fn: string; out: number; forms: IntForm[]; k: number; t: number; A: bigint[]; B: bigint[] };
/** Elementwise product of two forms. */
export type ProductStep = { kind: 'product'; name: string; out: number; a: IntForm[]; b: IntForm[] };
/** Index of the first maximum of each group; differences fit `bits` bits. */
export type ArgmaxStep = { kind: 'argmax'; name: string; out: number; groups: IntForm[][]; bits: number };
/** `floor(num / den)` for num >= 0, den > 0: quotient below 2^qBits, den below 2^rBits. */
export type DivStep = { kind: 'div'; name: string; out: number; num: IntForm[]; den: IntForm[]; qBits: number; rBits: number };

/** 1 where the form is zero, else 0 (an inverse hint: two constraints). */
export type IsZeroStep = { kind: 'iszero'; name: string; out: number; forms: IntForm[] };
/**
 * `r = floor(2^K / sqrt(v))` for v >= 1, as the largest r with `r^2 v <= 2^(2K)`: r below
 * 2^rBits, both slack terms below 2^slackBits.
 */
export type RsqrtStep = { kind: 'rsqrt'; name: string; out: number; forms: IntForm[]; K: number; rBits: number; slackBits: number };

export type Step = RequantStep | PwlStep | ProductStep | ArgmaxStep | DivStep | IsZeroStep | RsqrtStep;

export const outputsOf = (s: Step): number => {
  switch (s.kind) {
    case 'requant': case 'pwl': case 'iszero': case 'rsqrt': return s.forms.length;
    case 'product': return s.a.length;
    case 'argmax': return s.groups.length;
    case 'div': return s.num.length;
  }
};

/** Constraints a step adds to the R1CS (after circom's linear simplification). */
export function stepConstraints(s: Step, weightSignals = false): number {
  switch (s.kind) {
    case 'requant': {
      let n = s.bits.reduce((a, b) => a + b, 0) + (s.act === 'relu' ? s.forms.length : 0);
      if (weightSignals && s.weights) n += s.forms.reduce((a, f) => a + f.k.length, 0);
      return n;
    }
    case 'pwl': return s.forms.length * (s.k + 2 ** s.t + 1);
    case 'product': return s.a.length;
    case 'argmax': return s.groups.reduce((a, g) => a + g.length * (s.bits + 2), 0);
    // num = q * den + r is linear (no constraint) when den is a constant.
    case 'div': return s.den.reduce((a, d) => a + (d.i.length === 0 ? 0 : 1), 0) + s.num.length * (2 * s.rBits + s.qBits);
    case 'iszero': return s.forms.length * 2;
    case 'rsqrt': return s.forms.length * (3 + s.rBits + 2 * s.slackBits);
  }
}

/** Integer square root: the largest r with r * r <= n. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

export const evalForm = (f: IntForm, w: readonly bigint[]): bigint => {
  let acc = f.c;
  for (let j = 0; j < f.i.length; j++) acc += f.k[j]! * w[f.i[j]!]!;
  return acc;
};

export const roundingTerm = (shift: number): bigint => (shift > 0 ? 1n << BigInt(shift - 1) : 0n);

/** Runs one step on the signal array exactly as the circuit computes it. */
export function runStep(s: Step, w: bigint[]): void {
  switch (s.kind) {
    case 'requant':
      s.forms.forEach((f, o) => {
        const acc = evalForm(f, w) + roundingTerm(s.shift[o]!);
        if (s.act === 'sign') { w[s.out + o] = acc >= 0n ? 1n : 0n; return; }
        const q = acc >> BigInt(s.shift[o]!); // arithmetic shift: floor, as the circuit
        w[s.out + o] = s.act === 'relu' && q < 0n ? 0n : q;
      });
      return;
    case 'pwl': {
      const low = s.k - s.t;
      const mask = (1n << BigInt(low)) - 1n;
      s.forms.forEach((f, o) => {
        const x = evalForm(f, w);
        if (x < 0n || x >= 1n << BigInt(s.k)) throw new Error(`internal: ${s.name} input ${x} outside [0, 2^${s.k})`);
        const seg = Number(x >> BigInt(low));
        w[s.out + o] = s.A[seg]! + s.B[seg]! * (x & mask);
      });
      return;
    }
    case 'product':
      s.a.forEach((f, o) => { w[s.out + o] = evalForm(f, w) * evalForm(s.b[o]!, w); });
      return;
    case 'argmax':
      s.groups.forEach((g, o) => {
        let best = 0;
        let bestV = evalForm(g[0]!, w);
        g.forEach((f, j) => { const v = evalForm(f, w); if (v > bestV) { best = j; bestV = v; } });
        w[s.out + o] = BigInt(best);
      });
      return;
    case 'div':
      s.num.forEach((f, o) => { w[s.out + o] = evalForm(f, w) / evalForm(s.den[o]!, w); });
      return;
    case 'iszero':
      s.forms.forEach((f, o) => { w[s.out + o] = evalForm(f, w) === 0n ? 1n : 0n; });
      return;
    case 'rsqrt':
      s.forms.forEach((f, o) => {
        const v = evalForm(f, w);
        if (v < 1n) throw new Error(`internal: ${s.name} reciprocal square root of ${v}`);
        w[s.out + o] = isqrt((1n << BigInt(2 * s.K)) / v);
      });
      return;
  }
}

/** Constraints of a whole program (without the input commitment and the binding). */
export const programConstraints = (steps: readonly Step[], weightSignals = false): number => steps.reduce((a, s) => a + stepConstraints(s, weightSignals), 0);
