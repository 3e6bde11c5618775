/**
 * An affine form over circuit signals, in float units: `c + sum(coef * signal)`, where a
 * signal with scale s holds the integer `round(value * 2^s)`, so its float value is
 * `integer / 2^s`. Linear operators (Gemm, Conv, BatchNorm, pooling sums, reshapes...) act
 * on these forms and cost no constraint; only nonlinear steps turn a form into a new
 * signal. Forms are immutable.
 */
export type Affine = { readonly c: number; readonly t: ReadonlyMap<number, number> };

const EMPTY: ReadonlyMap<number, number> = new Map();

export const constantForm = (c: number): Affine => ({ c, t: EMPTY });

/** The float value of signal `id` (scale s): the integer / 2^s. */
export const signalForm = (id: number, scale: number): Affine => ({ c: 0, t: new Map([[id, 2 ** -scale]]) });

/** `bias + sum(coef_i * form_i)`. */
export function combine(parts: readonly (readonly [number, Affine])[], bias = 0): Affine {
  if (parts.length === 1 && bias === 0 && parts[0]![0] === 1) return parts[0]![1];
  let c = bias;
  const t = new Map<number, number>();
  for (const [k, f] of parts) {
    if (k === 0) continue;
    c += k * f.c;
    for (const [id, v] of f.t) {
      const next = (t.get(id) ?? 0) + k * v;
      if (next === 0) t.delete(id);
      else t.set(id, next);
    }
  }
  return { c, t };
}

/** A form that is exactly one signal's value: no constant, one term. */
export const isSignal = (f: Affine): boolean => f.c === 0 && f.t.size === 1;
