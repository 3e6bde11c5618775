// circomlib's Poseidon(n) (the permutation of circomlibjs's reference implementation, with its
// round constants C and MDS matrices M): three constraints per S-box x^5, the round constants
// and the mixing are linear and cost nothing. circomlib's circuit computes the same function
// with the optimised (sparse) form of the same constants, and the same S-box count:
// 3 * (8 * t + partial rounds) constraints for t = n + 1.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mod, plus, type ConstraintSystem } from './system.js';

const N_ROUNDS_F = 8;
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

type Constants = { C: bigint[][]; M: bigint[][][] };
let constants: Constants | undefined;

/** circomlibjs's reference constants (the package does not export the file, so it is read from disk). */
function poseidonConstants(): Constants {
  if (constants) return constants;
  const dir = join(dirname(createRequire(import.meta.url).resolve('circomlibjs')), '..', 'src');
  const raw = JSON.parse(readFileSync(join(dir, 'poseidon_constants.json'), 'utf8')) as { C: string[][]; M: string[][][] };
  constants = { C: raw.C.map((r) => r.map((x) => BigInt(x))), M: raw.M.map((m) => m.map((r) => r.map((x) => BigInt(x)))) };
  return constants;
}

/** x^5 with three constraints (circomlib's Sigma). */
function sigma<L>(cs: ConstraintSystem<L>, x: L): L {
  const x2 = cs.alloc(() => cs.value(x) * cs.value(x));
  cs.constrain(x, x, x2);
  const x4 = cs.alloc(() => cs.value(x2) * cs.value(x2));
  cs.constrain(x2, x2, x4);
  const x5 = cs.alloc(() => cs.value(x4) * cs.value(x));
  cs.constrain(x4, x, x5);
  return x5;
}

/** A value known when the circuit is built (the seed 0, padding): a lane that stays constant costs nothing. */
export type Known = { known: bigint };
const isKnown = <L>(x: L | Known): x is Known => typeof x === 'object' && x !== null && 'known' in x;

/**
 * Poseidon(inputs) as circomlib's `Poseidon(inputs.length)` (initial state 0, first output).
 * While a lane is {@link Known} its S-box is computed here and costs no constraint (circom
 * folds those constraints away too). The lanes' kinds depend only on the circuit, never on
 * values, so both modes allocate the same wires.
 */
export function poseidon<L>(cs: ConstraintSystem<L>, inputs: readonly (L | Known)[]): L {
  const t = inputs.length + 1;
  const { C, M } = poseidonConstants();
  const c = C[t - 2]!, m = M[t - 2]!;
  const nRoundsP = N_ROUNDS_P[t - 2]!;
  let state: (L | Known)[] = [{ known: 0n }, ...inputs];
  const lc = (x: L | Known): L => (isKnown(x) ? cs.constant(x.known) : x);
  for (let r = 0; r < N_ROUNDS_F + nRoundsP; r++) {
    state = state.map((x, i) => (isKnown(x) ? { known: mod(x.known + c[r * t + i]!) } : plus(cs, x, c[r * t + i]!)));
    const full = r < N_ROUNDS_F / 2 || r >= N_ROUNDS_F / 2 + nRoundsP;
    state = state.map((x, i) => (full || i === 0 ? (isKnown(x) ? { known: mod(x.known ** 5n) } : sigma(cs, x)) : x));
    const allKnown = state.every(isKnown);
    state = state.map((_, i) => (allKnown
      ? { known: state.reduce((acc, x, j) => mod(acc + m[i]![j]! * (x as Known).known), 0n) }
      : cs.linear(0n, state.map((x, j) => [lc(x), m[i]![j]!] as const))));
  }
  return lc(state[0]!);
}
