import { FunctionDomainError, QuantizationOverflowError } from '../errors/quantize.js';
import { combine, constantForm, isSignal, signalForm, type Affine } from '../ir/affine.js';
import { checkTensorSize, sizeOf } from '../ir/tensor.js';
import { constValue, formAt, symValue, type ConstValue, type Value } from '../ir/value.js';
import type { ElemKind, OnnxNode } from '../onnx/load.js';
import { APPROX_BITS, chooseTable, pwlTable, windowFor, windowLayout, type Approximation, type UnaryFunction } from './approx.js';
import { Relaxations } from './relax.js';
import { isqrt, roundingTerm, type IntForm, type Step } from './steps.js';

/** Largest accumulator width the circuit accepts (a bit decomposition must stay below the field size). */
export const MAX_ACC_BITS = 240;

/** One signal of the lowered program: its scale and the integer interval it provably lies in. */
/**
 * A signal: its scale and integer bounds. `offset` (the model's inputs, sent as unsigned
 * `u = x 2^scale + offset`): every form reading the signal has `-coefficient * offset` in its
 * constant, so rounding a coefficient must round that product with it.
 */
export type SignalInfo = { scale: number; lo: bigint; hi: bigint; offset?: number };

/**
 * `calibrated`: calibration inputs were given (approximation windows follow them, else each
 * function's default). `nodes`: widths for the requantisations a node makes (by ONNX node name:
 * the node that requantises, a Relu after its Conv), in place of `weightBits` and `activationBits`.
 */
export type LowerOptions = { weightBits: number; activationBits: number; calibrated?: boolean; nodes?: NodePrecision };

/** Per-node widths (`--tolerance` chooses them; see quantize/precision.ts). */
export type NodePrecision = Readonly<Record<string, { weightBits?: number; activationBits?: number }>>;

/**
 * A function the circuit evaluates piecewise-linearly on a clamped domain, in 2^segmentBits
 * segments (32 by default; each doubling costs 2^segmentBits more constraints per element and
 * divides the interpolation error by about 4).
 */
export type PwlFunction = { name: string; f: (x: number) => number; lo: number; hi: number; segmentBits?: number };

/** Bits of the piecewise-linear input window and of the segment index. */
const PWL_BITS = 12;
const PWL_SEGMENT_BITS = 5;

const log2Floor = (x: number) => Math.floor(Math.log2(x));
const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);
const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

/** Scale (as a power of two) that maps `max` onto a signed `bits`-bit integer without overflow. */
export function scaleFor(max: number, bits: number): number {
  if (!(max > 0)) return bits - 1;
  return log2Floor((2 ** (bits - 1) - 1) / max);
}

/** Smallest signed width B with -2^(B-1) <= lo and hi < 2^(B-1). */
export function signedBits(lo: bigint, hi: bigint): number {
  let b = 1;
  while (lo < -(1n << BigInt(b - 1)) || hi >= 1n << BigInt(b - 1)) b++;
  return b;
}
const unsignedBits = (hi: bigint) => Math.max(1, hi.toString(2).length);

/** Exact power-of-two scale that makes every coefficient an integer, if there is a small one. */
function exactScale(ms: readonly number[]): number | undefined {
  for (let s = -8; s <= 48; s++) if (ms.every((m) => Number.isInteger(m * 2 ** s))) return s;
  return undefined;
}

/**
 * Runs operators either in float (every value a constant: calibration and the float
 * reference) or symbolically (lowering to integer steps). Operators are written once
 * against this context; nonlinear primitives record the float range they see in float
 * mode, keyed by node and call order, and use it to choose scales when lowering.
 */
export class Context {
  readonly steps: Step[] = [];
  readonly signals: SignalInfo[] = [];
  /** every approximated elementwise function, with its window and largest error (the compile report lists them) */
  readonly approximations: Approximation[] = [];
  node: OnnxNode | undefined;
  /** ONNX element kinds of the current node's inputs (integer and boolean tensors keep integer semantics) */
  kinds: readonly ElemKind[] = [];
  /** ONNX data types (TensorProto.DataType) of the current node's inputs, where known: integer widths and signedness */
  types: readonly (number | undefined)[] = [];
  /** tensor names some later node or the graph output reads (set by runGraph) */
  used: ReadonlySet<string> = new Set();
  private call = 0;
  /** linear bounds of the requantised signals, for intervals tighter than the box (see relax.ts) */
  private readonly relaxations = new Relaxations();

  constructor(
    readonly mode: 'float' | 'lower',
    readonly ranges: Map<string, number>,
    readonly options: LowerOptions,
  ) {}

  /** Bits per weight for the current node's requantisations. */
  get weightBits(): number {
    return this.options.nodes?.[this.node?.name ?? '']?.weightBits ?? this.options.weightBits;
  }

  /** Bits of the calibrated range for the current node's activations. */
  get activationBits(): number {
    return this.options.nodes?.[this.node?.name ?? '']?.activationBits ?? this.options.activationBits;
  }

  /** Whether a tensor is read later: operators skip work nobody uses. */
  needs(name: string | undefined): boolean {
    return name !== undefined && name !== '' && this.used.has(name);
  }

  begin(node: OnnxNode, kinds: readonly ElemKind[] = [], types: readonly (number | undefined)[] = []): void {
    this.node = node;
    this.kinds = kinds;
    this.types = types;
    this.call = 0;
  }

  private key(): string {
    return `${this.node?.name ?? '?'}/${this.node?.opType ?? '?'}#${this.call++}`;
  }

  private record(key: string, values: Iterable<number>): void {
    let m = this.ranges.get(key) ?? 0;
    for (const v of values) m = Math.max(m, Math.abs(v));
    this.ranges.set(key, m);
  }

  /** Whether a value is fixed at compile time (a weight or a folded constant, not derived from the input). */
  isStatic(v: Value): v is ConstValue {
    return v.kind === 'const' && !v.dyn;
  }

  /** An operator's result must fit the tensor cap before it is allocated (a Pad or a window can ask for any shape). */
  private checkSize(shape: readonly number[]): void {
    checkTensorSize(this.node?.outputs[0] || this.node?.name || '?', shape);
  }

  /** Allocates `n` signals with one scale and per-signal intervals. */
  allocate(scale: number, bounds: readonly (readonly [bigint, bigint])[]): number {
    const start = this.signals.length;
    for (const [lo, hi] of bounds) this.signals.push({ scale, lo, hi });
    return start;
  }

  /**
   * A linear operator: output element `o` is `bias + sum(coef * inputs[operand][index])`,
   * as reported through `add`. Costs no constraint.
   */
  linear(shape: number[], inputs: readonly Value[], row: (o: number, add: (operand: number, index: number, coef: number) => void) => number): Value {
    this.checkSize(shape);
    const n = sizeOf(shape);
    const dyn = inputs.some((v) => v.kind === 'sym' || v.dyn);
    if (inputs.every((v) => v.kind === 'const')) {
      const data = new Float64Array(n);
      for (let o = 0; o < n; o++) {
        let s = 0;
        const bias = row(o, (k, i, c) => { s += c * (inputs[k] as ConstValue).data[i]!; });
        data[o] = s + bias;
      }
      return { ...constValue(shape, data), dyn };
    }
    const forms: Affine[] = new Array(n);
    for (let o = 0; o < n; o++) {
      const parts: [number, Affine][] = [];
      const bias = row(o, (k, i, c) => { parts.push([c, formAt(inputs[k]!, i)]); });
      forms[o] = combine(parts, bias);
    }
    return symValue(shape, forms);
  }

  /** Data movement: output element `o` is an input element `[operand, index]` or a constant. */
  select(shape: number[], inputs: readonly Value[], pick: (o: number) => readonly [number, number] | number): Value {
    this.checkSize(shape);
    const n = sizeOf(shape);
    const dyn = inputs.some((v) => v.kind === 'sym' || v.dyn);
    if (inputs.every((v) => v.kind === 'const')) {
      const data = new Float64Array(n);
      for (let o = 0; o < n; o++) {
        const p = pick(o);
        data[o] = typeof p === 'number' ? p : (inputs[p[0]] as ConstValue).data[p[1]]!;
      }
      return { ...constValue(shape, data), dyn };
    }
    const forms: Affine[] = new Array(n);
    for (let o = 0; o < n; o++) {
      const p = pick(o);
      forms[o] = typeof p === 'number' ? constantForm(p) : formAt(inputs[p[0]]!, p[1]);
    }
    return symValue(shape, forms);
  }

  /** Applies a float function elementwise to a constant (the float semantics of a primitive). */
  private floatMap(x: ConstValue, f: (v: number) => number): ConstValue {
    return { ...constValue(x.shape, x.data.map(f)), dyn: x.dyn };
  }

  /**
   * `f` with every coefficient rounded to a multiple of 2^-scale (the constant left unrounded).
   * The constant holds -m * offset for an offset signal (an input): with the coefficient
   * rounded, it must hold -round(m) * offset, or the rounding error is multiplied by the offset
   * (2^(inputBits-1) units: 2.5 on a StandardScaler output of wine's features).
   */
  private roundCoefficients(f: Affine, scale: number): Affine {
    const unit = 2 ** scale;
    let c = f.c;
    const t = new Map<number, number>();
    for (const [id, m] of f.t) {
      const r = Math.round(m * unit) / unit;
      const offset = this.signals[id]!.offset;
      if (offset) c += (m - r) * offset;
      t.set(id, r);
    }
    return { c, t };
  }

  private intForm(f: Affine, scale: number, round: 'nearest' | 'floor' = 'nearest'): IntForm {
    const i: number[] = [];
    const k: bigint[] = [];
    const rounded = this.roundCoefficients(f, scale);
    for (const [id, r] of rounded.t) {
      const kk = BigInt(Math.round(r * 2 ** scale));
      if (kk !== 0n) { i.push(id); k.push(kk); }
    }
    const cf = rounded.c * 2 ** scale;
    return { c: BigInt(round === 'floor' ? Math.floor(cf + 1e-9) : Math.round(cf)), i, k };
  }

  private interval(f: IntForm): [bigint, bigint] {
    let lo = f.c, hi = f.c;
    f.i.forEach((id, j) => {
      const s = this.signals[id]!;
      const a = f.k[j]! * s.lo, b = f.k[j]! * s.hi;
      lo += minBig(a, b);
      hi += maxBig(a, b);
    });
    return [lo, hi];
  }

  /**
   * The interval of `f` over every input: the box bound {@link interval}, narrowed by the
   * requantised signals' linear relaxations substituted one level back (see relax.ts).
   */
  private tightInterval(f: IntForm): [bigint, bigint] {
    const box = this.interval(f);
    const t = this.relaxations.bound(f, (id) => [this.signals[id]!.lo, this.signals[id]!.hi]);
    return t ? [maxBig(box[0], t[0]), minBig(box[1], t[1])] : box;
  }

  /**
   * Integer scale for forms: exact when `exact`, else the finest that keeps the coefficients
   * of signals at one scale within weightBits. Grouping by signal scale matters when a form
   * mixes values of very different resolution (a residual sum, a 0/1 flag plus an
   * activation): one budget over all coefficients would round the fine ones to zero.
   */
  private scaleOf(forms: readonly Affine[], exact: boolean): number {
    if (exact) {
      const ms: number[] = [];
      for (const f of forms) for (const m of f.t.values()) ms.push(m);
      const s = exactScale(ms);
      if (s === undefined) throw new Error(`internal: no exact integer scale at ${this.node?.name}`);
      return s;
    }
    const largest = new Map<number, number>();
    for (const f of forms) for (const [id, m] of f.t) { const sc = this.signals[id]!.scale; largest.set(sc, Math.max(largest.get(sc) ?? 0, Math.abs(m))); }
    let s = -Infinity;
    for (const m of largest.values()) s = Math.max(s, scaleFor(m, this.weightBits));
    return Number.isFinite(s) ? s : scaleFor(0, this.weightBits);
  }

  /**
   * Turns forms into signals: `none` requantises to a chosen scale, `relu` also clamps at
   * zero, `sign` yields 1 for non-negative values, else 0. `exact` keeps integer arithmetic
   * exact (internal differences and comparisons); `scale` forces the output scale;
   * `packBits` coarsens the scale until every output fits that many bits.
   */
  requant(x: Value, act: 'none' | 'relu' | 'sign', opts: { exact?: boolean; scale?: number; packBits?: number; keepConstants?: boolean; even?: boolean; accScale?: number; intervals?: readonly (readonly [bigint, bigint])[] } = {}): Value {
    const key = this.key();
    if (x.kind === 'const') {
      const y = this.floatMap(x, act === 'relu' ? (v) => Math.max(0, v) : act === 'sign' ? (v) => (v >= 0 ? 1 : 0) : (v) => v);
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const name = this.node?.name ?? '?';
    const dynamic = x.forms.map((f) => f.t.size > 0 || opts.keepConstants === true);
    const live = x.forms.filter((_, i) => dynamic[i]);
    const sign = act === 'sign';
    // A node on integer and boolean tensors computes exact integers, as ONNX does: no rounding of its coefficients or result.
    const exact = opts.exact === true || (this.kinds.length > 0 && this.kinds.every((k) => k !== 'float') && exactScale(live.flatMap((f) => [...f.t.values()])) !== undefined);
    let accScale = opts.accScale ?? (sign || exact ? this.scaleOf(live, true) : this.scaleOf(live, false));
    let outScale: number;
    if (sign) outScale = 0;
    else if (opts.scale !== undefined) outScale = opts.scale;
    // An integer tensor keeps whole units: even coefficients (labels 10, 20, 30) would give it a negative scale.
    else if (exact) outScale = this.kinds.length > 0 && this.kinds.every((k) => k !== 'float') ? Math.max(accScale, 0) : accScale;
    else {
      const r = this.ranges.get(key) ?? 0;
      outScale = r > 0 ? Math.min(accScale, scaleFor(r, this.activationBits)) : accScale;
    }
    if (opts.even && !sign && outScale % 2 !== 0) outScale -= 1;
    if (!sign && accScale < outScale) accScale = outScale;
    const forms = live.map((f) => this.intForm(f, accScale, sign ? 'floor' : 'nearest'));
    let shift = sign ? 0 : accScale - outScale;
    // `intervals` (per element of x, at accScale): tighter bounds the caller knows (a maximum).
    const intervals = opts.intervals ? x.forms.flatMap((_, i) => (dynamic[i] ? [opts.intervals![i]!] : [])) : forms.map((f) => this.tightInterval(f));
    if (opts.packBits !== undefined) {
      const fits = (sh: number) => intervals.every(([lo, hi]) => signedBits((lo + roundingTerm(sh)) >> BigInt(sh), (hi + roundingTerm(sh)) >> BigInt(sh)) <= opts.packBits!);
      while (!fits(shift) && shift < 200) shift++;
      outScale = accScale - shift;
    }
    // A ReLU whose accumulator is negative for every input (the interval's top below zero) is
    // the constant 0: no signal, no constraint.
    const dead = intervals.map(([, hi]) => act === 'relu' && hi + roundingTerm(shift) < 0n);
    const kept = forms.filter((_, j) => !dead[j]);
    const bits: number[] = [];
    const floors: (readonly [bigint, bigint])[] = [];
    const bounds = intervals.filter((_, j) => !dead[j]).map(([lo, hi]) => {
      const r = roundingTerm(shift);
      const b = signedBits(lo + r, hi + r);
      if (b > MAX_ACC_BITS) throw new QuantizationOverflowError({ node: name, bits: b, maxBits: MAX_ACC_BITS });
      bits.push(b);
      if (sign) return [0n, 1n] as const;
      let qlo = (lo + r) >> BigInt(shift), qhi = (hi + r) >> BigInt(shift);
      floors.push([qlo, qhi]);
      if (act === 'relu') { qlo = maxBig(qlo, 0n); qhi = maxBig(qhi, 0n); }
      return [qlo, qhi] as const;
    });
    const out = this.allocate(outScale, bounds);
    if (!sign) kept.forEach((f, j) => this.relaxations.requantised(out + j, f, shift, act, floors[j]!));
    if (kept.length > 0) {
      this.steps.push({ kind: 'requant', name, act, out, forms: kept, shift: kept.map(() => shift), bits, weights: !sign && !opts.exact });
    }
    let next = out, j = 0;
    const result = x.forms.map((f, i) => {
      if (dynamic[i]) return dead[j++] ? constantForm(0) : signalForm(next++, outScale);
      const v = f.c;
      return constantForm(act === 'relu' ? Math.max(0, v) : sign ? (v >= 0 ? 1 : 0) : v);
    });
    return symValue(x.shape, result);
  }

  /**
   * `relu(max(group))` for a MaxPool after a Relu: the accumulators `x` are put on the integer
   * grid the Relu's requantisation would use (their coefficients rounded to its scale: no
   * step), `maxima` takes each group's maximum of those exactly, and one requantisation at that
   * scale applies the ReLU. As relu and the requantisation are non-decreasing, this is the
   * unfused program's `max(relu(requant(a)), ...)`, for one decomposition per window instead
   * of one per element plus one per max. In float mode (calibration) the same calls in the
   * same order, so the keys stay aligned.
   */
  reluOfMaxima(x: Value, groups: readonly number[][], maxima: (grid: Value) => Value): Value {
    if (x.kind === 'const') return this.requant(maxima(x), 'relu');
    const live = x.forms.filter((f) => f.t.size > 0);
    const exact = this.kinds.length > 0 && this.kinds.every((k) => k !== 'float') && exactScale(live.flatMap((f) => [...f.t.values()])) !== undefined;
    const scale = this.scaleOf(live, exact);
    const unit = 2 ** scale;
    // Rounded as intForm rounds them (an input's offset moves the constant with its coefficient).
    const grid = symValue(x.shape, x.forms.map((f) => {
      if (f.t.size === 0) return f;
      const rounded = this.roundCoefficients(f, scale);
      return { c: Math.round(rounded.c * unit) / unit, t: rounded.t };
    }));
    // A maximum lies in [max of the lows, max of the highs]: tighter than its form b + relu(a - b) + ...
    const each = grid.forms.map((f) => this.tightInterval(this.intForm(f, scale)));
    const intervals = groups.map((g) => g.map((i) => each[i]!).reduce(([lo, hi], [l, h]) => [maxBig(lo, l), maxBig(hi, h)] as const));
    return this.requant(maxima(grid), 'relu', { accScale: scale, intervals });
  }

  /** `max(a, b)` elementwise as `b + relu(a - b)`, exactly. */
  max2(a: Value, b: Value): Value {
    const diff = this.linear(a.shape, [a, b], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
    const r = this.requant(diff, 'relu', { exact: true });
    return this.linear(a.shape, [b, r], (o, add) => { add(0, o, 1); add(1, o, 1); return 0; });
  }

  /** Consumes the key a requantisation would have used (keeps float and lowering keys aligned). */
  requantKeyOnly(): void {
    this.key();
  }

  /** Makes every element a plain signal (requantising where it is a longer form). */
  materialize(x: Value): Value {
    if (x.kind === 'sym' && x.forms.every(isSignal)) {
      this.key();
      return x;
    }
    return this.requant(x, 'none');
  }

  /** Elementwise piecewise-linear approximation of `fn` (Sigmoid, Tanh, Exp...), clamped to its domain. */
  pwl(x: Value, fn: PwlFunction): Value {
    const width = fn.hi - fn.lo;
    const inScale = PWL_BITS - Math.ceil(Math.log2(width));
    const q = this.requant(x, 'none', { scale: inScale });
    const key = this.key();
    if (q.kind === 'const') {
      // Float semantics are the exact function (the reference); the circuit saturates outside the domain.
      const y = this.floatMap(q, fn.f);
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const L = Math.round(fn.lo * 2 ** inScale);
    const unit = 2 ** -inScale;
    const k = PWL_BITS, t = fn.segmentBits ?? PWL_SEGMENT_BITS, low = k - t;
    let fmax = 0;
    for (let j = 0; j <= 2 ** t; j++) fmax = Math.max(fmax, Math.abs(fn.f(fn.lo + j * 2 ** low * unit)));
    const outBase = Math.min(24, scaleFor(fmax, this.activationBits));
    return this.pwlStep(q, fn.name, L, inScale, k, t, pwlTable((x) => fn.f(x), L, unit, k, t, outBase), outBase + low);
  }

  /**
   * The Pwl step on `q` (signals at `inScale`): clamp to [L, L + 2^k - 1] with
   * L + relu(x - L) - relu(x - H) (exact), shift to [0, 2^k), and read the table.
   */
  private pwlStep(q: Value, fn: string, L: number, inScale: number, k: number, t: number, table: { A: bigint[]; B: bigint[]; lo: bigint; hi: bigint }, outScale: number): Value {
    const saved = this.call; // the clamps below exist only when lowering: keep keys aligned with float mode
    const H = L + 2 ** k - 1;
    const unit = 2 ** -inScale;
    const lower = this.requant(this.linear(q.shape, [q], (o, add) => { add(0, o, 1); return -L * unit; }), 'relu', { exact: true });
    const upper = this.requant(this.linear(q.shape, [q], (o, add) => { add(0, o, 1); return -H * unit; }), 'relu', { exact: true });
    const window = this.linear(q.shape, [lower, upper], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; }) as Extract<Value, { kind: 'sym' }>;
    this.call = saved;
    const forms = window.forms.map((f) => this.intForm(f, inScale));
    const out = this.allocate(outScale, forms.map(() => [table.lo, table.hi] as const));
    this.steps.push({ kind: 'pwl', name: this.node?.name ?? '?', fn, out, forms, k, t, A: table.A, B: table.B });
    return symValue(q.shape, forms.map((_, i) => signalForm(out + i, outScale)));
  }

  /**
   * The smallest and largest value `x` takes over the calibration inputs (one key in both modes):
   * float mode records them, lowering reads them back. Undefined when nothing was recorded.
   */
  span(x: Value): [number, number] | undefined {
    const key = this.key();
    if (this.mode === 'float' && x.kind === 'const') {
      let lo = this.ranges.get(`${key}<`) ?? Infinity, hi = this.ranges.get(`${key}>`) ?? -Infinity;
      for (const v of x.data) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
      if (lo <= hi) { this.ranges.set(`${key}<`, lo); this.ranges.set(`${key}>`, hi); }
    }
    const lo = this.ranges.get(`${key}<`), hi = this.ranges.get(`${key}>`);
    return lo !== undefined && hi !== undefined ? [lo, hi] : undefined;
  }

  /**
   * Elementwise `fn` through the general mechanism: a Pwl table over the calibrated range of x
   * (widened by 5%, or `fn`'s default window without calibration, or `window` when the caller
   * knows the range; `atMost` caps it at a proved upper bound), saturating outside it. The segment count and the largest error inside the
   * window are chosen and computed here and listed in {@link approximations}. A calibrated range
   * outside `fn`'s domain is a FunctionDomainError.
   */
  approx(x: Value, fn: UnaryFunction, opts: { window?: readonly [number, number]; atMost?: number } = {}): Value {
    const seen = this.span(x);
    const node = this.node?.name ?? '?', opType = this.node?.opType ?? '?';
    const calibrated = this.options.calibrated === true && seen !== undefined;
    if (x.kind === 'const') {
      this.requantKeyOnly();
      const key = this.key();
      const y = this.floatMap(x, fn.f);
      if (this.mode === 'float') this.record(key, [...y.data].filter(Number.isFinite));
      return y;
    }
    const win = windowFor(fn, calibrated ? seen : undefined, opts.window);
    // A proved upper bound (x - max(x) <= 0) caps the window: no table is spent above it.
    if (win && opts.atMost !== undefined && win[1] > opts.atMost) win[1] = Math.max(opts.atMost, win[0] + 2 ** -20);
    if (!win) {
      const domain = fn.domain === 'positive' ? 'x > 0' : fn.domain === 'nonnegative' ? 'x >= 0' : 'x != 0, one sign';
      throw new FunctionDomainError({ node, opType, what: 'input', range: seen!, domain });
    }
    const k = APPROX_BITS;
    const { inScale, L, unit } = windowLayout(fn, win[0], win[1], k, opts.atMost !== undefined && win[1] === opts.atMost);
    const q = this.requant(x, 'none', { scale: inScale });
    this.key();
    const chosen = chooseTable(fn, L, unit, k, (fmax) => Math.min(24, scaleFor(fmax, this.activationBits)));
    this.approximations.push({
      node, opType, fn: fn.name, window: [L * unit, (L + 2 ** k - 1) * unit], calibrated: calibrated ? [seen![0], seen![1]] : null,
      segments: 2 ** chosen.t, maxError: chosen.error, elements: sizeOf(x.shape),
    });
    return this.pwlStep(q, fn.name, L, inScale, k, chosen.t, chosen.table, chosen.outScale);
  }

  /** Elementwise product of two values of the same shape (one constraint each). */
  product(a: Value, b: Value): Value {
    if (this.isStatic(a) || this.isStatic(b)) {
      // A constant factor is linear: no constraint (keys consumed as the general path does).
      this.key(); this.key(); this.key();
      const [k, v] = this.isStatic(a) ? [a, b] : [b as ConstValue, a];
      return this.linear(v.shape, [v], (o, add) => { add(0, o, k.data[o]!); return 0; });
    }
    // Operands that are already exact small-integer forms (bits, indicators, sums of signals
    // at one scale) are multiplied as they are; others are requantised first.
    const operand = (v: Value): { forms: IntForm[]; scale: number } => {
      if (v.kind === 'const') { this.materialize(v); return { forms: [], scale: 0 }; }
      const n = sizeOf(v.shape);
      const forms = Array.from({ length: n }, (_, i) => formAt(v, i));
      const s = exactScale(forms.flatMap((f) => [...f.t.values(), f.c]));
      if (s !== undefined && s <= 24) { this.key(); return { forms: forms.map((f) => this.intForm(f, s)), scale: s }; }
      const m = this.materialize(v);
      const fm = Array.from({ length: n }, (_, i) => formAt(m, i));
      const sm = this.scaleOf(fm, true);
      return { forms: fm.map((f) => this.intForm(f, sm)), scale: sm };
    };
    const pa = operand(a), pb = operand(b);
    const key = this.key();
    // (isStatic's type guard narrows too far here: dynamic float values are constants as well.)
    const fa = a as Value, fb = b as Value;
    if (fa.kind === 'const' && fb.kind === 'const') {
      const y = { ...constValue(fa.shape, fa.data.map((v, i) => v * fb.data[i]!)), dyn: fa.dyn || fb.dyn };
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const A = pa.forms, B = pb.forms, sa = pa.scale, sb = pb.scale;
    const square = a === b;
    const bounds = A.map((f, i) => {
      const [alo, ahi] = this.interval(f), [blo, bhi] = this.interval(B[i]!);
      const c = [alo * blo, alo * bhi, ahi * blo, ahi * bhi];
      // A square is non-negative: the bound matters for what reads it (a variance, a norm).
      return [square ? (alo <= 0n && ahi >= 0n ? 0n : minBig(alo * alo, ahi * ahi)) : c.reduce(minBig), c.reduce(maxBig)] as const;
    });
    const out = this.allocate(sa + sb, bounds);
    this.steps.push({ kind: 'product', name: this.node?.name ?? '?', out, a: A, b: B });
    return symValue(a.shape, A.map((_, i) => signalForm(out + i, sa + sb)));
  }

  /**
   * `x` as forms with an exact integer scale (a value whose coefficients are not exact at a
   * small scale, such as a layer output with real weights, is requantised first). Consumes
   * one key in both modes.
   */
  private exactValue(x: Value): Value {
    if (x.kind === 'sym' && exactScale(x.forms.flatMap((f) => [...f.t.values()])) !== undefined) {
      this.key();
      return x;
    }
    return this.materialize(x);
  }

  /**
   * `[x >= 0]` elementwise, exactly on the integer values (comparisons: Less, Greater...).
   * A form's constant is rounded down, so `x - t >= 0` holds exactly when x >= t.
   */
  nonNegative(x: Value): Value {
    return this.requant(this.exactValue(x), 'sign');
  }

  /**
   * `[x == 0]` elementwise, exactly on the integer values (Equal, Cast to bool); a constant
   * that is not representable is rounded to the nearest value that is.
   */
  isZero(x: Value): Value {
    const v = this.exactValue(x);
    const key = this.key();
    if (v.kind === 'const') {
      const y = { ...constValue(v.shape, v.data.map((d) => (d === 0 ? 1 : 0))), dyn: v.dyn };
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    // Coefficients that are multiples of 2^j allow a coarser scale, but an integer constant must stay exact there (4a == 1 is never true).
    const s = Math.max(this.scaleOf(v.forms, true), Math.min(0, exactScale(v.forms.map((f) => f.c)) ?? 0));
    const all = v.forms.map((f) => this.intForm(f, s));
    // An element whose form is a constant (or rounds to one) is decided now.
    const live = all.map((f) => f.i.length > 0);
    const forms = all.filter((_, i) => live[i]);
    const out = this.allocate(0, forms.map(() => [0n, 1n] as const));
    if (forms.length > 0) this.steps.push({ kind: 'iszero', name: this.node?.name ?? '?', out, forms });
    let next = out;
    return symValue(v.shape, all.map((f, i) => (live[i] ? signalForm(next++, 0) : constantForm(f.c === 0n ? 1 : 0))));
  }

  /**
   * `1 / sqrt(x)` elementwise for x >= 0 (a variance plus epsilon): x is requantised to an
   * even scale s (at least one unit, so never zero), then r = floor(2^K / sqrt(x * 2^s)),
   * with K chosen so r keeps activationBits of precision at the largest x.
   */
  rsqrt(x: Value): Value {
    const q = this.requant(x, 'none', { even: true });
    const key = this.key();
    if (q.kind === 'const') {
      const y = this.floatMap(q, (v) => 1 / Math.sqrt(v));
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const s = q.forms.reduce((m, f) => (f.t.size > 0 ? this.scaleOf([f], true) : m), 0);
    const forms = q.forms.map((f) => {
      const g = this.intForm(f, s);
      const [lo] = this.interval(g);
      return lo < 1n ? { ...g, c: g.c + 1n - lo } : g;
    });
    let vlo = 0n, vhi = 0n;
    forms.forEach((f, j) => { const [a, b] = this.interval(f); vlo = j === 0 ? a : minBig(vlo, a); vhi = j === 0 ? b : maxBig(vhi, b); });
    const K = this.activationBits + Math.ceil(unsignedBits(vhi) / 2);
    const rHi = isqrt((1n << BigInt(2 * K)) / vlo), rLo = isqrt((1n << BigInt(2 * K)) / vhi);
    const rBits = unsignedBits(rHi);
    const slackBits = unsignedBits((2n * rHi + 1n) * vhi);
    if (2 * rBits + unsignedBits(vhi) > MAX_ACC_BITS) throw new QuantizationOverflowError({ node: this.node?.name ?? '?', bits: 2 * rBits + unsignedBits(vhi), maxBits: MAX_ACC_BITS });
    const outScale = K - s / 2;
    const out = this.allocate(outScale, forms.map(() => [rLo, rHi] as const));
    this.steps.push({ kind: 'rsqrt', name: this.node?.name ?? '?', out, forms, K, rBits, slackBits });
    return symValue(q.shape, forms.map((_, i) => signalForm(out + i, outScale)));
  }

  /**
   * `trunc(x / d)` elementwise, rounded toward zero as ONNX's integer Div and Cast to an integer
   * type compute it, for non-zero integer constants `d` (one per element; 1 for a cast). With
   * s = [x >= 0] (a sign step) and |x| = (2s - 1) x (a product), q = floor(|x| / |d|) is a div
   * step (|x| = q |d| + r, 0 <= r < |d|, all range-checked) and the result (2s - 1) q sign(d) a
   * second product: every integer result is constrained, none is only hinted. Output scale 0.
   */
  truncDiv(x: Value, d: readonly number[]): Value {
    const m = this.exactValue(x);
    const key = this.key();
    if (m.kind === 'const') {
      const y = { ...constValue(m.shape, m.data.map((v, i) => Math.trunc(v / d[i]!))), dyn: m.dyn };
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const name = this.node?.name ?? '?';
    // x = X / 2^s with X an integer form (constants included, so nothing is rounded).
    const s = Math.max(0, exactScale(m.forms.flatMap((f) => [...f.t.values(), f.c])) ?? this.scaleOf(m.forms, true));
    const X = m.forms.map((f) => this.intForm(f, s));
    const D = d.map((v) => BigInt(Math.abs(v)) << BigInt(s));
    const live = X.map((f) => f.i.length > 0);
    const forms = X.filter((_, i) => live[i]);
    const dl = D.filter((_, i) => live[i]);
    const intervals = forms.map((f) => this.interval(f));
    const absHi = intervals.map(([lo, hi]) => maxBig(-lo, hi));
    const qHi = absHi.map((a, i) => a / dl[i]!);
    const signal = (id: number): IntForm => ({ c: 0n, i: [id], k: [1n] });
    let result: number[] = [];
    if (forms.length > 0) {
      const sign = this.allocate(0, forms.map(() => [0n, 1n] as const));
      const bits = intervals.map(([lo, hi]) => signedBits(lo, hi));
      if (Math.max(...bits) > MAX_ACC_BITS) throw new QuantizationOverflowError({ node: name, bits: Math.max(...bits), maxBits: MAX_ACC_BITS });
      this.steps.push({ kind: 'requant', name, act: 'sign', out: sign, forms, shift: forms.map(() => 0), bits, weights: false });
      const pm = forms.map((_, o): IntForm => ({ c: -1n, i: [sign + o], k: [2n] }));
      const abs = this.allocate(0, absHi.map((h) => [0n, h] as const));
      this.steps.push({ kind: 'product', name, out: abs, a: pm, b: forms });
      const q = this.allocate(0, qHi.map((h) => [0n, h] as const));
      this.steps.push({ kind: 'div', name, out: q, num: forms.map((_, o) => signal(abs + o)), den: dl.map((v) => ({ c: v, i: [], k: [] })), qBits: unsignedBits(qHi.reduce(maxBig, 0n)), rBits: unsignedBits(dl.reduce(maxBig, 1n)) });
      const t = this.allocate(0, qHi.map((h) => [-h, h] as const));
      this.steps.push({ kind: 'product', name, out: t, a: pm, b: forms.map((_, o) => signal(q + o)) });
      result = forms.map((_, o) => t + o);
    }
    let next = 0;
    return symValue(m.shape, X.map((f, i) => {
      const sd = Math.sign(d[i]!);
      if (!live[i]) return constantForm(sd * Number(f.c / D[i]!));
      const form = signalForm(result[next++]!, 0);
      return sd > 0 ? form : combine([[-1, form]], 0);
    }));
  }

  /**
   * Floor, Ceil or Round (half to even, as ONNX) elementwise, exactly on the fixed-point value
   * X / 2^s: with an offset M 2^s (M from X's proved interval) making the numerator
   * non-negative, q = floor(num / 2^s) is a div step by a constant (num = q 2^s + r with r
   * range-checked to [0, 2^s): the remainder check), and floor(x) = q - M; ceil is -floor(-x).
   * Round divides X + 2^(s-1) by 2^(s+1) instead and adds the sign step [r > 2^s] to 2q: a tie
   * (r = 2^s) goes to the even neighbour. Output scale 0; a value already integral is unchanged.
   */
  roundTo(x: Value, mode: 'floor' | 'ceil' | 'round'): Value {
    const m = this.exactValue(x);
    const key = this.key();
    const even = (v: number) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
    const g = mode === 'floor' ? Math.floor : mode === 'ceil' ? Math.ceil : even;
    if (m.kind === 'const') {
      const y = this.floatMap(m, g);
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const name = this.node?.name ?? '?';
    const s = exactScale(m.forms.flatMap((f) => [...f.t.values(), f.c])) ?? this.scaleOf(m.forms, true);
    if (s <= 0) return m;
    const X = m.forms.map((f) => this.intForm(f, s));
    const live = X.map((f) => f.i.length > 0);
    const sign = mode === 'ceil' ? -1n : 1n;
    const den = mode === 'round' ? 1n << BigInt(s + 1) : 1n << BigInt(s);
    const nums: IntForm[] = [], offsets: bigint[] = [];
    X.forEach((f, i) => {
      if (!live[i]) return;
      const base: IntForm = { c: sign * f.c + (mode === 'round' ? 1n << BigInt(s - 1) : 0n), i: f.i, k: f.k.map((k) => sign * k) };
      const [lo] = this.interval(base);
      const M = lo < 0n ? (-lo + den - 1n) / den : 0n; // whole divisors added to make num >= 0
      nums.push({ ...base, c: base.c + M * den });
      offsets.push(M);
    });
    const qHi = nums.map((f) => this.interval(f)[1] / den);
    const out = this.allocate(0, qHi.map((h) => [0n, h] as const));
    if (nums.length > 0) this.steps.push({ kind: 'div', name, out, num: nums, den: nums.map(() => ({ c: den, i: [], k: [] })), qBits: unsignedBits(qHi.reduce(maxBig, 0n)), rBits: unsignedBits(den) });
    let half = 0;
    if (mode === 'round' && nums.length > 0) {
      // [r - 2^s - 1 >= 0] with r = num - q 2^(s+1) in [0, 2^(s+1)): s + 2 bits hold it.
      const forms = nums.map((f, o): IntForm => ({ c: f.c - (1n << BigInt(s)) - 1n, i: [...f.i, out + o], k: [...f.k, -den] }));
      half = this.allocate(0, forms.map(() => [0n, 1n] as const));
      this.steps.push({ kind: 'requant', name, act: 'sign', out: half, forms, shift: forms.map(() => 0), bits: forms.map(() => s + 2), weights: false });
    }
    let next = 0;
    return symValue(m.shape, X.map((f, i) => {
      if (!live[i]) return constantForm(g(Number(f.c) * 2 ** -s));
      const o = next++;
      // floor: q - M; ceil: -(q - M); round: 2q - 2M + [r > 2^s] (M counted in 2^(s+1) steps).
      const terms: [number, Affine][] = [[mode === 'round' ? 2 : Number(sign), signalForm(out + o, 0)]];
      if (mode === 'round') terms.push([1, signalForm(half + o, 0)]);
      const M = Number(offsets[o]!) * (mode === 'round' ? 2 : 1);
      return combine(terms, -Number(sign) * M);
    }));
  }

  /** The smallest and largest value any element of `x` can take, in float units (from the signals' proved intervals). */
  bounds(x: Value): [number, number] {
    if (x.kind === 'const') return [Math.min(...x.data), Math.max(...x.data)];
    let lo = Infinity, hi = -Infinity;
    for (const f of x.forms) {
      let a = f.c, b = f.c;
      for (const [id, m] of f.t) {
        const s = this.signals[id]!, u = m * Number(s.lo) * 2 ** -s.scale, v = m * Number(s.hi) * 2 ** -s.scale;
        a += Math.min(u, v); b += Math.max(u, v);
      }
      lo = Math.min(lo, a); hi = Math.max(hi, b);
    }
    return [lo, hi];
  }

  /** Index of the first maximum in each group of flat element indices. */
  argmax(x: Value, groups: readonly number[][], shape: number[]): Value {
    const m = this.materialize(x);
    const key = this.key();
    if (m.kind === 'const') {
      const data = groups.map((g) => g.reduce((best, idx, j) => (m.data[idx]! > m.data[g[best]!]! ? j : best), 0));
      if (this.mode === 'float') this.record(key, data);
      return { ...constValue(shape, data), dyn: m.dyn };
    }
    const all = groups.flat().map((i) => formAt(m, i));
    const s = this.scaleOf(all, true);
    const forms = groups.map((g) => g.map((i) => this.intForm(formAt(m, i), s)));
    let lo = 0n, hi = 0n;
    forms.flat().forEach((f, j) => { const [a, b] = this.interval(f); lo = j === 0 ? a : minBig(lo, a); hi = j === 0 ? b : maxBig(hi, b); });
    const bits = unsignedBits(hi - lo + 1n);
    const out = this.allocate(0, groups.map((g) => [0n, BigInt(g.length - 1)] as const));
    this.steps.push({ kind: 'argmax', name: this.node?.name ?? '?', out, groups: forms, bits });
    return symValue(shape, groups.map((_, i) => signalForm(out + i, 0)));
  }

  /**
   * `num / den` elementwise for non-negative num and positive den (den at least `denMin`
   * in float units), as a floor division at output scale `scale`.
   */
  divide(num: Value, den: Value, opts: { scale: number; denMin: number }): Value {
    const key = this.key();
    if (num.kind === 'const' && den.kind === 'const') {
      const y = { ...constValue(num.shape, num.data.map((v, i) => v / den.data[i]!)), dyn: num.dyn || den.dyn };
      if (this.mode === 'float') this.record(key, y.data);
      return y;
    }
    const n = sizeOf(num.shape);
    const nf = Array.from({ length: n }, (_, i) => formAt(num, i));
    const df = Array.from({ length: n }, (_, i) => formAt(den, i));
    const sd = this.scaleOf(df, true);
    // A constant numerator (Reciprocal-like divisions) is exact at the scale its value needs.
    const sn = nf.every((f) => f.t.size === 0) ? Math.max(0, exactScale(nf.map((f) => f.c)) ?? 24) : this.scaleOf(nf, true);
    // q = floor(num * 2^(scale + sd - sn) / den) has the requested scale.
    // (A coarser output than the operands: the divisor is multiplied by 2^-extra instead.)
    const extra = opts.scale + sd - sn;
    const up = BigInt(Math.max(0, extra)), down = BigInt(Math.max(0, -extra));
    const N = nf.map((f) => { const g = this.intForm(f, sn); return { c: g.c << up, i: g.i, k: g.k.map((k) => k << up) }; });
    const D = df.map((f) => { const g = this.intForm(f, sd); return { c: g.c << down, i: g.i, k: g.k.map((k) => k << down) }; });
    const denMinInt = BigInt(Math.floor(opts.denMin * 2 ** sd)) << down;
    let qHi = 0n, rBits = 1;
    N.forEach((f, i) => {
      const [nlo, nhi] = this.interval(f);
      const [dlo, dhi] = this.interval(D[i]!);
      if (nlo < 0n || maxBig(dlo, denMinInt) <= 0n) throw new Error(`internal: division operands at ${this.node?.name}`);
      qHi = maxBig(qHi, nhi / maxBig(dlo, denMinInt));
      rBits = Math.max(rBits, unsignedBits(dhi));
    });
    const out = this.allocate(opts.scale, N.map(() => [0n, qHi] as const));
    this.steps.push({ kind: 'div', name: this.node?.name ?? '?', out, num: N, den: D, qBits: unsignedBits(qHi), rBits });
    return symValue(num.shape, N.map((_, i) => signalForm(out + i, opts.scale)));
  }
  /**
   * The two's complement bits of integer values, lowest first, in at least `minWidth` bits
   * (more when the proved interval needs them; the top bit is the sign): BitShift and the
   * bitwise operators read them. With v = x + 2^(w-1) in [0, 2^w), each f_k = floor(v / 2^k)
   * (k >= 1) is one exact requantisation (a bit decomposition proving the floor), and bit k
   * is f_k - 2 f_(k+1), linear: no bit is only hinted. The top bit of x is 1 - f_(w-1).
   */
  twosComplementBits(x: Value, minWidth = 1): Value[] {
    const m = this.exactValue(x);
    const key = this.key();
    if (m.kind === 'const') {
      const lo = Math.min(0, ...m.data), hi = Math.max(0, ...m.data);
      const w = Math.max(minWidth, signedBits(BigInt(lo), BigInt(hi)));
      if (this.mode === 'float') this.record(key, [lo, hi]);
      return Array.from({ length: w }, (_, k) => {
        const bit = (v: number) => Number((BigInt(v) >> BigInt(k)) & 1n);
        return { ...constValue(m.shape, m.data.map(bit)), dyn: m.dyn };
      });
    }
    const name = this.node?.name ?? '?';
    const s = Math.max(0, exactScale(m.forms.flatMap((f) => [...f.t.values(), f.c])) ?? this.scaleOf(m.forms, true));
    const X = m.forms.map((f) => this.intForm(f, s));
    let lo = 0n, hi = 0n;
    for (const f of X) { const [a, b] = this.interval(f); lo = minBig(lo, a >> BigInt(s)); hi = maxBig(hi, b >> BigInt(s)); }
    const w = Math.max(minWidth, signedBits(lo, hi));
    const live = X.filter((f) => f.i.length > 0);
    // floors[k][j]: f_k of live element j as a signal form. f_0 = v (a floor by 2^s first when
    // the forms carry s fractional bits); each next floor halves the previous one, so its range
    // check is one bit narrower: about w^2 / 2 constraints per element in all.
    const floors: Affine[][] = [];
    const floorStep = (forms: IntForm[], shift: number): Affine[] => {
      const bits: number[] = [];
      const bounds = forms.map((f) => {
        const [a, b] = this.interval(f), r = roundingTerm(shift);
        bits.push(signedBits(a + r, b + r));
        return [maxBig(0n, (a + r) >> BigInt(shift)), (b + r) >> BigInt(shift)] as const;
      });
      if (Math.max(0, ...bits) > MAX_ACC_BITS) throw new QuantizationOverflowError({ node: name, bits: Math.max(...bits), maxBits: MAX_ACC_BITS });
      const out = this.allocate(0, bounds);
      if (forms.length > 0) this.steps.push({ kind: 'requant', name, act: 'none', out, forms, shift: forms.map(() => shift), bits, weights: false });
      return forms.map((_, j) => signalForm(out + j, 0));
    };
    const v = live.map((f) => ({ c: f.c + (1n << BigInt(w - 1 + s)), i: f.i, k: f.k }));
    floors.push(s === 0 ? v.map((f) => ({ c: Number(f.c), t: new Map(f.i.map((id, j) => [id, Number(f.k[j]!)])) })) : floorStep(v.map((f) => ({ ...f, c: f.c - roundingTerm(s) })), s));
    for (let k = 1; k < w; k++) floors.push(floorStep(floors[k - 1]!.map((f) => this.intForm(f, 0)).map((f) => ({ ...f, c: f.c - 1n })), 1));
    return Array.from({ length: w }, (_, k) => {
      let j = 0;
      return symValue(m.shape, X.map((f) => {
        if (f.i.length === 0) return constantForm(Number(((f.c >> BigInt(s)) >> BigInt(k)) & 1n));
        const jj = j++;
        if (k === w - 1) return combine([[-1, floors[k]![jj]!]], 1);
        return combine([[1, floors[k]![jj]!], [-2, floors[k + 1]![jj]!]]);
      }));
    });
  }
}

