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
type Relaxation = { form: IntForm; ids: Int32Array; ks: Float64Array; D: number; r: number } & (
  | { kind: 'floor' }
  | { kind: 'relu'; lambda: number; ql: number; lowerIsQ: boolean }
  | { kind: 'zero' }
);

/** Work (relaxation terms substituted, each into four sums) allowed for one form's bounds, and for a whole model. */
const FORM_BUDGET = 2_000_000;
const MODEL_BUDGET = 40_000_000;

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
  /** per signal, the four sides' coefficients being summed (4 * id + side), their magnitudes, and whether it is listed */
  private scratch = new Float64Array(4096);
  private magnitude = new Float64Array(1024);
  private seen = new Uint8Array(1024);
  private spent = 0;

  /** Work spent so far (relaxation terms substituted; deterministic, not time). */
  get work(): number { return this.spent; }

  /**
   * Records signal `id = act(floor((form + round(shift)) / 2^shift))` with proved output bounds
   * `[qlo, qhi]` of the floor (before the ReLU).
   */
  requantised(id: number, form: IntForm, shift: number, act: 'none' | 'relu', [qlo, qhi]: readonly [bigint, bigint]): void {
    const D = 2 ** shift, r = shift > 0 ? 2 ** (shift - 1) : 0;
    // The form's terms as numbers once: bound() reads them for every form that reads this signal.
    const ids = Int32Array.from(form.i), ks = Float64Array.from(form.k, Number);
    if (act === 'none' || qlo >= 0n) { this.of[id] = { form, ids, ks, D, r, kind: 'floor' }; return; }
    if (qhi <= 0n) { this.of[id] = { form, ids, ks, D, r, kind: 'zero' }; return; }
    const ql = Number(qlo), qh = Number(qhi);
    this.of[id] = { form, ids, ks, D, r, kind: 'relu', lambda: qh / (qh - ql), ql, lowerIsQ: qh > -ql };
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
    if (cost === 0 || cost > FORM_BUDGET || this.spent + cost > MODEL_BUDGET) return undefined;
    this.spent += cost;
    // A relaxed signal's form reads only earlier signals: room for every id below this.of.length.
    if (this.seen.length < this.of.length) this.grow(this.of.length);
    // Four sums in one pass: sides 0 and 1 bound from below, 2 and 3 from above; 1 and 3 bound
    // a ReLU that takes both signs below by lambda * q, 0 and 2 by q or 0 (whichever cuts less
    // area). Each is a valid bound: the tighter of each pair is kept.
    const c = [0, 0, 0, 0].map(() => Number(f.c));
    let abs = Math.abs(Number(f.c));
    const touched: number[] = [];
    const a = [0, 0, 0, 0], b = [0, 0, 0, 0];
    const add = (id: number, k0: number, k1: number, k2: number, k3: number, m: number) => {
      if (4 * id + 4 > this.scratch.length) this.grow(id);
      if (!this.seen[id]) { this.seen[id] = 1; touched.push(id); }
      const at = 4 * id;
      this.scratch[at] = this.scratch[at]! + k0;
      this.scratch[at + 1] = this.scratch[at + 1]! + k1;
      this.scratch[at + 2] = this.scratch[at + 2]! + k2;
      this.scratch[at + 3] = this.scratch[at + 3]! + k3;
      this.magnitude[id] = this.magnitude[id]! + m;
    };
    for (let j = 0; j < f.i.length; j++) {
      const id = f.i[j]!, k = Number(f.k[j]!);
      const r = this.of[id];
      if (!r) { add(id, k, k, k, k, Math.abs(k)); continue; }
      if (r.kind === 'zero') continue;
      // y >= or <= a * (f + r) / D + b on each side (a = 0, b = 0: y >= 0).
      for (let side = 0; side < 4; side++) {
        const high = (k > 0) === side >= 2, chord = side % 2 === 1;
        if (r.kind === 'floor') { a[side] = 1; b[side] = high ? 0 : -(r.D - 1) / r.D; }
        else if (high) { a[side] = r.lambda; b[side] = -r.lambda * r.ql; }
        else if (chord) { a[side] = r.lambda; b[side] = -r.lambda * (r.D - 1) / r.D; } // relu(q) >= lambda * q, 0 <= lambda <= 1
        else if (r.lowerIsQ) { a[side] = 1; b[side] = -(r.D - 1) / r.D; }
        else { a[side] = 0; b[side] = 0; }
      }
      const base = Number(r.form.c) + r.r, unit = k / r.D;
      for (let side = 0; side < 4; side++) c[side] = c[side]! + unit * a[side]! * base + k * b[side]!;
      abs += Math.abs(unit * base) + Math.max(...b.map((x) => Math.abs(k * x)));
      const s0 = unit * a[0]!, s1 = unit * a[1]!, s2 = unit * a[2]!, s3 = unit * a[3]!, su = Math.abs(unit);
      const { ids, ks } = r;
      const scratch = this.scratch, magnitude = this.magnitude, seen = this.seen;
      for (let t = 0; t < ids.length; t++) {
        const v = ks[t]!, i = ids[t]!, at = 4 * i;
        if (!seen[i]) { seen[i] = 1; touched.push(i); }
        scratch[at] = scratch[at]! + s0 * v;
        scratch[at + 1] = scratch[at + 1]! + s1 * v;
        scratch[at + 2] = scratch[at + 2]! + s2 * v;
        scratch[at + 3] = scratch[at + 3]! + s3 * v;
        magnitude[i] = magnitude[i]! + su * Math.abs(v);
      }
    }
    for (const id of touched) {
      const [blo, bhi] = box(id), lo = Number(blo), hi = Number(bhi), at = 4 * id;
      for (let side = 0; side < 4; side++) {
        const k = this.scratch[at + side]!;
        c[side] = c[side]! + k * ((k > 0) === side >= 2 ? hi : lo);
        this.scratch[at + side] = 0;
      }
      abs += this.magnitude[id]! * Math.max(Math.abs(lo), Math.abs(hi));
      this.magnitude[id] = 0;
      this.seen[id] = 0;
    }
    if (!c.every(Number.isFinite) || !Number.isFinite(abs)) return undefined;
    // Floating-point error: far below 2^-30 of the magnitudes summed.
    const margin = abs * 2 ** -30 + 2;
    return [BigInt(Math.floor(Math.max(c[0]!, c[1]!) - margin)), BigInt(Math.ceil(Math.min(c[2]!, c[3]!) + margin))];
  }

  private grow(id: number) {
    const n = Math.max(id + 1, this.magnitude.length * 2);
    const s = new Float64Array(4 * n); s.set(this.scratch); this.scratch = s;
    const m = new Float64Array(n); m.set(this.magnitude); this.magnitude = m;
    const seen = new Uint8Array(n); seen.set(this.seen); this.seen = seen;
  }
}
