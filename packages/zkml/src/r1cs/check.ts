// Checks over a constraint system and a witness: which constraints a witness breaks, and which
// wires no constraint reads (the equivalent of `circom --inspect`'s unconstrained-signal warning).
import { P, type Constraint, type Lc } from './system.js';

const evaluate = (lc: Lc, values: readonly bigint[]) => {
  let acc = 0n;
  for (const [l, k] of lc) acc += k * values[l]!;
  return acc % P;
};

/** Indices of the constraints `A.w * B.w = C.w` that the label values break (over the BN254 scalar field). */
export function brokenConstraints(constraints: readonly Constraint[], values: readonly bigint[], only?: Iterable<number>): number[] {
  const broken: number[] = [];
  const check = (i: number) => {
    const c = constraints[i]!;
    if ((evaluate(c.a, values) * evaluate(c.b, values) - evaluate(c.c, values)) % P !== 0n) broken.push(i);
  };
  if (only) for (const i of only) check(i); else for (let i = 0; i < constraints.length; i++) check(i);
  return broken;
}

/** For each label, the constraints that read it. */
export function readers(constraints: readonly Constraint[], labels: number): number[][] {
  const by: number[][] = Array.from({ length: labels }, () => []);
  constraints.forEach((c, i) => {
    for (const lc of [c.a, c.b, c.c]) for (const l of lc.keys()) { const r = by[l]!; if (r.at(-1) !== i) r.push(i); }
  });
  return by;
}

/** Labels (other than the constant and the eliminated ones) that no constraint reads. */
export function unconstrainedLabels(constraints: readonly Constraint[], labels: number, eliminated: readonly number[]): number[] {
  const gone = new Set(eliminated);
  return readers(constraints, labels).flatMap((r, l) => (l > 0 && r.length === 0 && !gone.has(l) ? [l] : []));
}
