// One description of a circuit, run in two ways: `SymbolicSystem` records the constraints (linear
// combinations over wire labels, for the .r1cs file) and `ValueSystem` computes the values (for
// the .wtns file). The gadgets are written once, generically over the representation `L` of a
// linear combination, so the two can never allocate different wires.

/** The BN254 scalar field: the field of circom's R1CS and of the Groth16 verifier. */
export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const mod = (v: bigint): bigint => { const r = v % P; return r < 0n ? r + P : r; };
/** A field element read as a signed integer (values above P/2 are negative), as circom compares. */
export const signed = (v: bigint): bigint => (v > P >> 1n ? v - P : v);

/** A sparse linear combination: wire label to coefficient (mod P); label 0 is the constant 1. */
export type Lc = Map<number, bigint>;

/**
 * A constraint system under construction. Labels are allocated in one order in both modes:
 * label 0 is the constant one, then whatever the caller allocates first (public outputs,
 * public inputs, private inputs), then every internal wire.
 */
export interface ConstraintSystem<L> {
  readonly mode: 'symbolic' | 'values';
  constant(c: bigint): L;
  /** `c + sum(k_j * x_j)` */
  linear(c: bigint, terms: readonly (readonly [L, bigint])[]): L;
  /** a new wire; `hint` gives its value (called only when computing a witness) */
  alloc(hint: () => bigint): L;
  /** the value of a combination (witness mode; 0 when only recording constraints) */
  value(x: L): bigint;
  /** `a * b = c` */
  constrain(a: L, b: L, c: L): void;
  /** public wire `label` equals `x` (a linear constraint that costs nothing: see SymbolicSystem.finish) */
  bindPublic(label: number, x: L): void;
  /** labels allocated so far */
  readonly labels: number;
  /**
   * Soundness tests only: a dishonest prover's choice at a gadget's hints (`kind` names the
   * gadget, `honest` its honest hint values); the rest of the witness follows those choices, and
   * decompositions of out-of-range values keep their low bits instead of refusing.
   */
  readonly adversary?: Adversary;
}

/** A dishonest prover (soundness tests): replaces the hint values of one gadget. */
export type Adversary = (kind: 'div' | 'argmax' | 'iszero' | 'rsqrt' | 'pwl', where: string, honest: readonly bigint[]) => readonly bigint[];

export const add = <L>(cs: ConstraintSystem<L>, a: L, b: L, k = 1n): L => cs.linear(0n, [[a, 1n], [b, k]]);
export const sub = <L>(cs: ConstraintSystem<L>, a: L, b: L): L => cs.linear(0n, [[a, 1n], [b, -1n]]);
export const plus = <L>(cs: ConstraintSystem<L>, a: L, c: bigint): L => cs.linear(c, [[a, 1n]]);

/** Computes a witness: every label's value, in allocation order. */
export class ValueSystem implements ConstraintSystem<bigint> {
  readonly mode = 'values';
  readonly values: bigint[] = [1n];
  constructor(readonly adversary?: Adversary) {}
  get labels() { return this.values.length; }
  constant(c: bigint) { return mod(c); }
  linear(c: bigint, terms: readonly (readonly [bigint, bigint])[]) {
    let acc = c;
    for (const [x, k] of terms) acc += k * x;
    return mod(acc);
  }
  alloc(hint: () => bigint) { const v = mod(hint()); this.values.push(v); return v; }
  value(x: bigint) { return x; }
  constrain() {}
  /** reserves `n` labels whose values are set later (public outputs) */
  reserve(n: number): number[] { const at = this.values.length; for (let i = 0; i < n; i++) this.values.push(0n); return Array.from({ length: n }, (_, i) => at + i); }
  bindPublic(label: number, x: bigint) { this.values[label] = x; }
}

export type Constraint = { a: Lc; b: Lc; c: Lc };

/**
 * Constraints stored flat, not as objects: per term a label (Int32Array) and its coefficient
 * as a signed safe integer (Float64Array), the rare larger coefficient (Poseidon constants,
 * packing powers, inverses) in a side map. A term costs 12 bytes instead of a Map entry and a
 * bigint (about 100 bytes), so multi-million-constraint circuits fit the JavaScript heap
 * (issue 17). Each combination's terms are kept sorted by label, the order the .r1cs file needs.
 */
export class ConstraintStore {
  private termLabels = new Int32Array(1 << 12);
  private termCoefficients = new Float64Array(1 << 12);
  private readonly big = new Map<number, bigint>();
  /** term offsets: combination j of constraint i spans [starts[3i + j], starts[3i + j + 1]) */
  private starts = new Uint32Array(1 << 12);
  private terms = 0;
  /** how many constraints are stored */
  count = 0;
  /** constraints rewritten after being stored (the eliminations of SymbolicSystem.finish) */
  private readonly replaced = new Map<number, Constraint>();

  private grow() {
    const labels = new Int32Array(this.termLabels.length * 2);
    labels.set(this.termLabels);
    this.termLabels = labels;
    const coefficients = new Float64Array(this.termCoefficients.length * 2);
    coefficients.set(this.termCoefficients);
    this.termCoefficients = coefficients;
  }

  private pushLc(lc: Lc) {
    const entries = [...lc.keys()].sort((x, y) => x - y);
    while (this.terms + entries.length > this.termLabels.length) this.grow();
    for (const l of entries) {
      const k = signed(lc.get(l)!);
      const at = this.terms++;
      this.termLabels[at] = l;
      if (k > -SAFE && k < SAFE) this.termCoefficients[at] = Number(k);
      else { this.termCoefficients[at] = NaN; this.big.set(at, mod(k)); }
    }
  }

  push(c: Constraint) {
    if (3 * this.count + 4 > this.starts.length) {
      const starts = new Uint32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    const i = 3 * this.count;
    this.starts[i] = this.terms; this.pushLc(c.a);
    this.starts[i + 1] = this.terms; this.pushLc(c.b);
    this.starts[i + 2] = this.terms; this.pushLc(c.c);
    this.starts[i + 3] = this.terms;
    this.count++;
  }

  /**
   * Calls `f(label, k)` for each term of combination `j` (0: a, 1: b, 2: c) of constraint `i`,
   * in label order; `k` is the coefficient as a signed safe integer, or as a bigint mod P.
   */
  forEachTerm(i: number, j: 0 | 1 | 2, f: (label: number, k: number | bigint) => void) {
    const r = this.replaced.get(i);
    if (r) {
      for (const [l, k] of [...[r.a, r.b, r.c][j]!].sort((x, y) => x[0] - y[0])) f(l, k);
      return;
    }
    for (let t = this.starts[3 * i + j]!; t < this.starts[3 * i + j + 1]!; t++) {
      const k = this.termCoefficients[t]!;
      f(this.termLabels[t]!, Number.isNaN(k) ? this.big.get(t)! : k);
    }
  }

  /** The number of terms of combination `j` of constraint `i`. */
  size(i: number, j: 0 | 1 | 2): number {
    const r = this.replaced.get(i);
    return r ? [r.a, r.b, r.c][j]!.size : this.starts[3 * i + j + 1]! - this.starts[3 * i + j]!;
  }

  /** Constraint `i` as three combinations. */
  get(i: number): Constraint {
    const lc = (j: 0 | 1 | 2) => { const out: Lc = new Map(); this.forEachTerm(i, j, (l, k) => out.set(l, mod(BigInt(k)))); return out; };
    return this.replaced.get(i) ?? { a: lc(0), b: lc(1), c: lc(2) };
  }

  /** Indices of the stored constraints that read any label marked in `marked`. */
  reading(marked: Uint8Array): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) {
      for (let t = this.starts[3 * i]!; t < this.starts[3 * i + 3]!; t++) if (marked[this.termLabels[t]!]) { out.push(i); break; }
    }
    return out;
  }

  replace(i: number, c: Constraint) { this.replaced.set(i, c); }
}

const SAFE = 1n << 53n;

/**
 * Records constraints over labels. A public wire bound to a linear combination costs no
 * constraint when the combination holds an internal wire: that wire is eliminated (replaced by
 * `(public - rest) / k` in every constraint), as circom's --O2 simplification does. The
 * eliminated labels are what the witness generator needs to drop (see `finish`).
 */
export class SymbolicSystem implements ConstraintSystem<Lc> {
  readonly mode = 'symbolic';
  /** the constraints, stored flat (see ConstraintStore) */
  readonly store = new ConstraintStore();
  private decoded?: Constraint[];
  private next = 1;
  /** labels below this are inputs (public or private): never eliminated */
  firstInternal = 1;
  private readonly substitutions: { label: number; by: Lc }[] = [];
  get labels() { return this.next; }
  /** Every constraint as objects (for checks and tests on small circuits; a large one is written from `store`). */
  get constraints(): readonly Constraint[] {
    this.decoded ??= Array.from({ length: this.store.count }, (_, i) => this.store.get(i));
    return this.decoded;
  }
  constant(c: bigint): Lc { const v = mod(c); return v === 0n ? new Map() : new Map([[0, v]]); }
  linear(c: bigint, terms: readonly (readonly [Lc, bigint])[]): Lc {
    const out: Lc = new Map();
    if (mod(c) !== 0n) out.set(0, mod(c));
    for (const [x, k] of terms) {
      const km = mod(k);
      if (km === 0n) continue;
      for (const [w, v] of x) {
        const s = ((out.get(w) ?? 0n) + km * v) % P;
        if (s === 0n) out.delete(w); else out.set(w, s);
      }
    }
    return out;
  }
  alloc(): Lc { return new Map([[this.next++, 1n]]); }
  reserve(n: number): number[] { const at = this.next; this.next += n; return Array.from({ length: n }, (_, i) => at + i); }
  value() { return 0n; }
  constrain(a: Lc, b: Lc, c: Lc) { this.decoded = undefined; this.store.push({ a, b, c }); }

  bindPublic(label: number, x: Lc) {
    let lc = x;
    for (const s of this.substitutions) lc = substitute(lc, s.label, s.by);
    // The latest internal wire: usually one of the last bits computed, read by few constraints.
    let pick = -1;
    for (const w of lc.keys()) if (w >= this.firstInternal && w > pick) pick = w;
    const eq = this.linear(0n, [[lc, 1n], [new Map([[label, 1n]]), -1n]]); // x - public = 0
    if (pick < 0) { this.constrain(eq, this.constant(1n), new Map()); return; }
    // pick = -(eq - k * pick) / k
    const k = eq.get(pick)!;
    const rest = new Map(eq);
    rest.delete(pick);
    this.substitutions.push({ label: pick, by: this.linear(0n, [[rest, mod(-inverse(k))]]) });
  }

  /** Applies the eliminations to every constraint; returns the eliminated labels (ascending). */
  finish(): number[] {
    if (this.substitutions.length > 0) {
      const marked = new Uint8Array(this.next);
      for (const s of this.substitutions) marked[s.label] = 1;
      for (const i of this.store.reading(marked)) {
        const c = this.store.get(i);
        for (const s of this.substitutions) {
          if (c.a.has(s.label)) c.a = substitute(c.a, s.label, s.by);
          if (c.b.has(s.label)) c.b = substitute(c.b, s.label, s.by);
          if (c.c.has(s.label)) c.c = substitute(c.c, s.label, s.by);
        }
        this.store.replace(i, c);
      }
      this.decoded = undefined;
    }
    return this.substitutions.map((s) => s.label).sort((a, b) => a - b);
  }
}

function substitute(lc: Lc, label: number, by: Lc): Lc {
  const k = lc.get(label);
  if (k === undefined) return lc;
  const out = new Map(lc);
  out.delete(label);
  for (const [w, v] of by) {
    const s = ((out.get(w) ?? 0n) + k * v) % P;
    if (s === 0n) out.delete(w); else out.set(w, s);
  }
  return out;
}

/** Multiplicative inverse mod P (extended Euclid). */
export function inverse(a: bigint): bigint {
  let [r0, r1] = [mod(a), P];
  let [s0, s1] = [1n, 0n];
  if (r0 === 0n) throw new Error('internal: inverse of zero');
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}
