// The general mechanism for elementwise functions (Exp, Log, Sqrt, Erf, Gelu...): a
// piecewise-linear table over a window of the input, chosen from the calibrated range, with the
// largest error inside the window computed when the table is built. The circuit is the Pwl
// step (bit decomposition of the clamped input, a constrained one-hot segment selector).

/**
 * An elementwise function approximated over a window. `lo`/`hi` is the window used when no
 * calibration inputs are given; `domain` restricts where `f` is defined: a calibrated range
 * reaching outside it is a FunctionDomainError, and the window never leaves it.
 */
export type UnaryFunction = {
  name: string;
  f: (x: number) => number;
  lo: number;
  hi: number;
  domain?: 'positive' | 'nonnegative' | 'nonzero';
};

/** One approximated node as the compile report lists it (float units). */
export type Approximation = {
  node: string;
  opType: string;
  fn: string;
  /** the window the table covers; outside it the output saturates at the edge values */
  window: [number, number];
  /** the input range calibration saw (null: no calibration, the function's default window) */
  calibrated: [number, number] | null;
  segments: number;
  /** largest |table - f| over every input step of the window and the half steps between them */
  maxError: number;
  elements: number;
};

/** The progress line of one approximation: `exp at node "e": 64 segments on [-2.1, 3.9] (calibrated), max error 0.0012`. */
export const describeApproximation = (a: Approximation): string =>
  `approximation: ${a.fn} at node "${a.node}" (${a.opType}): ${a.segments} segments on [${a.window[0].toPrecision(4)}, ${a.window[1].toPrecision(4)}] (${a.calibrated ? 'calibrated' : 'default window'}), max error ${a.maxError.toPrecision(3)}, saturating outside`;

/** Input bits of the window (its resolution) and the segment counts tried, fewest first. */
export const APPROX_BITS = 14;
const SEGMENT_BITS = [5, 6, 7, 8];

/** Margin added on each side of a calibrated range (a fraction of its width). */
const MARGIN = 0.05;

/**
 * The float window for `fn`: the calibrated range widened by 5% on each side (or the default
 * window), kept inside the domain. Returns `undefined` when the calibrated range leaves the
 * domain (the caller raises FunctionDomainError).
 */
export function windowFor(fn: UnaryFunction, seen: readonly [number, number] | undefined, fixed?: readonly [number, number]): [number, number] | undefined {
  if (fixed) return [fixed[0], fixed[1]];
  if (!seen) return [fn.lo, fn.hi];
  const [a, b] = seen;
  if (fn.domain === 'positive' && a <= 0) return undefined;
  if (fn.domain === 'nonnegative' && a < 0) return undefined;
  if (fn.domain === 'nonzero' && a <= 0 && b >= 0) return undefined;
  const m = (b - a) * MARGIN || Math.max(1, Math.abs(a)) * MARGIN;
  let lo = a - m, hi = b + m;
  // Never across the domain's edge: half way to it at most (a pole or a branch point).
  if (fn.domain === 'positive' || fn.domain === 'nonnegative' || (fn.domain === 'nonzero' && a > 0)) lo = Math.max(lo, a / 2);
  if (fn.domain === 'nonzero' && b < 0) hi = Math.min(hi, b / 2);
  return [lo, hi];
}

/**
 * The fixed-point layout of a window: input scale, first integer L, and the unit. The 2^k steps
 * cover at least [lo, hi], centred on it (kept inside the domain), and L is a multiple of the
 * widest segment (2^(k-5) steps), so x = 0 (where the relu splits and Abs-like kinks sit) is a
 * segment boundary and no segment interpolates across it. `top`: the window ends at hi instead.
 */
export function windowLayout(fn: UnaryFunction, lo: number, hi: number, k: number, top = false): { inScale: number; L: number; unit: number } {
  const inScale = k - Math.ceil(Math.log2(Math.max(hi - lo, 2 ** -40)));
  const unit = 2 ** -inScale;
  const width = 2 ** k - 1;
  const align = 2 ** (k - SEGMENT_BITS[0]!);
  let L = Math.floor((Math.round(((lo + hi) / 2) * 2 ** inScale) - 2 ** (k - 1)) / align) * align;
  // Never below lo where the domain ends there, never above it otherwise (the window must cover [lo, hi]).
  const bounded = fn.domain === 'positive' || fn.domain === 'nonnegative' || (fn.domain === 'nonzero' && lo > 0);
  if (bounded) L = Math.max(L, Math.ceil(lo * 2 ** inScale));
  if (L * unit > lo && !bounded) L = Math.floor(lo * 2 ** inScale);
  if ((L + width) * unit < hi) L = Math.ceil(hi * 2 ** inScale) - width;
  // A proved upper bound: the window ends there (aligned up), spending nothing above it.
  if (top) L = Math.ceil((Math.ceil(hi * 2 ** inScale) - width) / align) * align;
  // The window must not reach the domain's edge (log(0), 1/0): step inside it.
  if (fn.domain === 'positive' || (fn.domain === 'nonzero' && lo > 0)) { while (L <= 0) L++; }
  if (fn.domain === 'nonnegative') { while (L < 0) L++; }
  // A negative range ends at hi (the last segment's right end, L + 2^k, is evaluated too).
  if (fn.domain === 'nonzero' && hi < 0) L = Math.min(L, Math.floor(hi * 2 ** inScale) - width - 1);
  return { inScale, L, unit };
}

/** The Pwl table of `f` on `[L, L + 2^k)` input units: `A[j] + B[j] * r` at scale `outBase + k - t`. */
export function pwlTable(f: (x: number) => number, L: number, unit: number, k: number, t: number, outBase: number): { A: bigint[]; B: bigint[]; lo: bigint; hi: bigint } {
  const low = k - t;
  const fAt = (j: number) => BigInt(Math.round(f((L + j * 2 ** low) * unit) * 2 ** outBase));
  const A: bigint[] = [], B: bigint[] = [];
  let lo = 0n, hi = 0n;
  for (let j = 0; j < 2 ** t; j++) {
    const a = fAt(j) << BigInt(low), b = fAt(j + 1) - fAt(j);
    A.push(a); B.push(b);
    const end = a + b * ((1n << BigInt(low)) - 1n);
    const mn = a < end ? a : end, mx = a > end ? a : end;
    if (j === 0 || mn < lo) lo = mn;
    if (j === 0 || mx > hi) hi = mx;
  }
  return { A, B, lo, hi };
}

/**
 * Largest |table(x) - f(x)| for inputs in the window: at every input step and half a step either
 * side (the input is rounded to the step before the table reads it). Outside the window the
 * table saturates; that error is not counted here (the window covers the calibrated range).
 */
export function pwlError(f: (x: number) => number, L: number, unit: number, k: number, t: number, A: readonly bigint[], B: readonly bigint[], outScale: number): number {
  const low = k - t;
  const n = 2 ** k;
  let err = 0;
  for (let i = 0; i < n; i++) {
    const seg = i >> low, r = i & ((1 << low) - 1);
    const y = Number(A[seg]! + B[seg]! * BigInt(r)) * 2 ** -outScale;
    for (const d of [i === 0 ? 0 : -0.5, 0, i === n - 1 ? 0 : 0.5]) {
      const v = f((L + i + d) * unit);
      if (Number.isFinite(v)) err = Math.max(err, Math.abs(y - v));
    }
  }
  return err;
}

/**
 * The table for `fn` on the window: the fewest segments (32 to 256) whose error is within
 * 0.2% of the function's largest magnitude there (or one output step), else 256.
 */
export function chooseTable(fn: UnaryFunction, L: number, unit: number, k: number, outBaseFor: (fmax: number) => number) {
  let fmax = 0;
  for (let i = 0; i <= 256; i++) { const v = Math.abs(fn.f((L + (i * (2 ** k - 1)) / 256) * unit)); if (Number.isFinite(v)) fmax = Math.max(fmax, v); }
  const outBase = outBaseFor(fmax);
  const target = Math.max(2e-3 * fmax, 2 ** -outBase);
  let best: { t: number; table: ReturnType<typeof pwlTable>; error: number; outScale: number } | undefined;
  for (const t of SEGMENT_BITS) {
    const table = pwlTable(fn.f, L, unit, k, t, outBase);
    const outScale = outBase + k - t;
    const error = pwlError(fn.f, L, unit, k, t, table.A, table.B, outScale);
    best = { t, table, error, outScale };
    if (error <= target) break;
  }
  return best!;
}

/** erf(x): its Taylor series below 2.5, the continued fraction of erfc above (both well below 1e-9 error). */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let sum = x, term = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))) (Lentz, backwards).
  let frac = a;
  for (let n = 60; n >= 1; n--) frac = a + n / 2 / frac;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}
