// Tighter proved bounds for accumulators (issue 17 item 5): a linear lower and upper bound of
// every requantised signal in terms of the signals its form reads (DeepPoly / CROWN-style
// relaxations of floor and ReLU), substituted one level back before the box bounds are applied.
// The box bound of `sum k_j x_j` lets every x_j reach its own extreme at once; for a second
// layer that is not possible when the x_j are ReLUs of overlapping windows of the same input,
// and the substituted bound sees it. A bound is only ever used as an interval that every
// honest value lies in (completeness): the decomposition of a requantisation is sound for any
// width, so a tighter (still valid) interval only means fewer bits.
import type { IntForm } from './steps.js';

/**
 * How a requantised signal `y` relates to the accumulator form `f` it was computed from
 * (`q = floor((f + r) / D)`, `y = q` or `y = relu(q)`): `q` lies in `[(f + r - D + 1) / D,
 * (f + r) / D]`; a ReLU that can take both signs (`ql < 0 < qh`) lies under the chord
 * `lambda * (q - ql)`, `lambda = qh / (qh - ql)`, and above `q` (`lowerIsQ`) or 0, and above
 * `lambda * q`.
 */
type Relaxation = { form: IntForm; D: number; r: number } & (
  | { kind: 'floor' }
  | { kind: 'relu'; lambda: number; ql: number; lowerIsQ: boolean }
  | { kind: 'zero' }
);

/** Work (coefficient updates) allowed for one form's bounds, and for a whole model. */
const FORM_BUDGET = 2_000_000;
const MODEL_BUDGET = 150_000_000;

/**
 * Relaxations of the signals of one lowering, and the bounds they give.
 *
 * @example
 * const r = new Relaxations();
 * r.requantised(id, form, shift, 'relu', [qlo, qhi]);
 * r.bound(nextForm, (id) => [signals[id].lo, signals[id].hi]); // [lo, hi] or undefined
 */
export class Relaxations {
  private readonly of: (Relaxation | undefined)[] = [];
  private scratch = new Float64Array(1024);
  private magnitude = new Float64Array(1024);
  private spent = 0;

  /** Work spent so far (coefficient updates; deterministic, not time). */
  get work(): number { return this.spent; }

  /**
   * Records signal `id = act(floor((form + round(shift)) / 2^shift))` with proved output bounds
   * `[qlo, qhi]` of the floor (before the ReLU).
   */
  requantised(id: number, form: IntForm, shift: number, act: 'none' | 'relu', [qlo, qhi]: readonly [bigint, bigint]): void {
    const D = 2 ** shift, r = shift > 0 ? 2 ** (shift - 1) : 0;
    if (act === 'none' || qlo >= 0n) { this.of[id] = { form, D, r, kind: 'floor' }; return; }
    if (qhi <= 0n) { this.of[id] = { form, D, r, kind: 'zero' }; return; }
    const ql = Number(qlo), qh = Number(qhi);
    this.of[id] = { form, D, r, kind: 'relu', lambda: qh / (qh - ql), ql, lowerIsQ: qh > -ql };
  }

  /**
   * `[lo, hi]` of the integer form `f` over every value its signals can take, with each
   * requantised signal replaced by its relaxation and every other signal by its box `box(id)`;
   * undefined when no signal of `f` has a relaxation or the work budget is spent (use the box
   * bound). Floating-point error is covered by a margin (2^-30 of the magnitudes summed, plus 2).
   */
  bound(f: IntForm, box: (id: number) => readonly [bigint, bigint]): [bigint, bigint] | undefined {
    let cost = 0;
    for (const id of f.i) { const r = this.of[id]; if (r) cost += r.form.i.length; }
    if (cost === 0 || cost > FORM_BUDGET || this.spent + 4 * cost > MODEL_BUDGET) return undefined;
    this.spent += 4 * cost;
    // Two valid lower relaxations of a ReLU that takes both signs give two valid bounds: the
    // tighter of each side is kept.
    const lo = [this.side(f, box, false, false), this.side(f, box, false, true)];
    const hi = [this.side(f, box, true, false), this.side(f, box, true, true)];
    if (lo.includes(undefined) || hi.includes(undefined)) return undefined;
    const [l0, l1] = lo as bigint[], [h0, h1] = hi as bigint[];
    return [l0! > l1! ? l0! : l1!, h0! < h1! ? h0! : h1!];
  }

  /** One side of the bound; `chord`: a ReLU taking both signs is bounded below by lambda * q (else by q or 0, whichever cuts less area). */
  private side(f: IntForm, box: (id: number) => readonly [bigint, bigint], upper: boolean, chord: boolean): bigint | undefined {
    let c = Number(f.c), abs = Math.abs(c);
    const touched: number[] = [];
    const add = (id: number, k: number) => {
      if (id >= this.scratch.length) this.grow(id);
      if (this.magnitude[id] === 0 && this.scratch[id] === 0) touched.push(id);
      this.scratch[id] = this.scratch[id]! + k;
      this.magnitude[id] = this.magnitude[id]! + Math.abs(k);
    };
    for (let j = 0; j < f.i.length; j++) {
      const id = f.i[j]!, k = Number(f.k[j]!);
      const r = this.of[id];
      if (!r) { add(id, k); continue; }
      // Which side of y bounds k * y from the side asked for.
      const high = (k > 0) === upper;
      if (r.kind === 'zero') continue;
      // y >= or <= a * (f + r) / D + b, as (scale a, offset b).
      let a: number, b: number;
      if (r.kind === 'floor') { a = 1; b = high ? 0 : -(r.D - 1) / r.D; }
      else if (high) { a = r.lambda; b = -r.lambda * r.ql; }
      else if (chord) { a = r.lambda; b = -r.lambda * (r.D - 1) / r.D; } // relu(q) >= lambda * q, 0 <= lambda <= 1
      else if (r.lowerIsQ) { a = 1; b = -(r.D - 1) / r.D; }
      else continue; // y >= 0
      const s = (k * a) / r.D;
      c += s * (Number(r.form.c) + r.r) + k * b;
      abs += Math.abs(s * (Number(r.form.c) + r.r)) + Math.abs(k * b);
      for (let t = 0; t < r.form.i.length; t++) add(r.form.i[t]!, s * Number(r.form.k[t]!));
    }
    for (const id of touched) {
      const k = this.scratch[id]!, [blo, bhi] = box(id);
      const v = k > 0 === upper ? Number(bhi) : Number(blo);
      c += k * v;
      abs += this.magnitude[id]! * Math.max(Math.abs(Number(blo)), Math.abs(Number(bhi)));
      this.scratch[id] = 0;
      this.magnitude[id] = 0;
    }
    if (!Number.isFinite(c) || !Number.isFinite(abs)) return undefined;
    const margin = abs * 2 ** -30 + 2;
    return BigInt(upper ? Math.ceil(c + margin) : Math.floor(c - margin));
  }

  private grow(id: number) {
    const n = Math.max(id + 1, this.scratch.length * 2);
    const s = new Float64Array(n); s.set(this.scratch); this.scratch = s;
    const m = new Float64Array(n); m.set(this.magnitude); this.magnitude = m;
  }
}
