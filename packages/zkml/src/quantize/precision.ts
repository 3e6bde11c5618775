import { ToleranceError } from '../errors/quantize.js';
import type { ImportedModel } from '../graph/import.js';
import { programConstraints } from '../lower/steps.js';
import { dequantizeOutput, inferQuantized, quantizeInput } from './infer.js';
import type { NodePrecision } from '../lower/context.js';
import { calibrate, DEFAULT_PRECISION, quantize, type QuantizeOptions, type QuantizedModel } from './quantize.js';

export { DEFAULT_PRECISION };

/** The narrowest widths the search tries. */
const MIN_WEIGHT_BITS = 4;
const MIN_ACTIVATION_BITS = 4;
/** Requantising nodes up to which the search tries a width per node (each node costs about 8 trials: two bisections). */
export const MAX_NODE_SEARCH = 12;

/** One quantisation the search lowered and ran: its widths, the model's constraints, its largest error. */
export type PrecisionTrial = {
  weightBits: number;
  activationBits: number;
  /** widths of single nodes in place of the two above (by the name of the node that requantises) */
  nodes?: NodePrecision;
  /** constraints of the model's steps (the input checks and commitments are the same for every trial) */
  constraints: number;
  /** largest |reference - quantised| over the calibration outputs, as a fraction of the reference outputs' range */
  error: number;
};

/**
 * What `--tolerance` chose: the widths, the model quantised with them, its error on the
 * calibration inputs (a fraction of the reference outputs' range), and every trial.
 */
export type PrecisionChoice = PrecisionTrial & { model: QuantizedModel; tolerance: number; trials: PrecisionTrial[] };

/** Refuses a tolerance that is not a fraction strictly between 0 and 1 (NaN included). */
export function checkTolerance(tolerance: number): void {
  if (!(tolerance > 0 && tolerance < 1)) throw new ToleranceError({ tolerance });
}

/**
 * The smallest width in `[lo, hi]` that `passes`, by bisection, given that `hi` passes and
 * that passing is monotone (every width tried is still one that was run).
 */
function narrowestPassing(lo: number, hi: number, passes: (bits: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (passes(mid)) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

/** Largest |want - got| over every output, divided by the range of `want` (its largest magnitude when constant). */
export function relativeError(want: readonly (readonly number[])[], got: readonly (readonly number[])[]): number {
  let err = 0, lo = Infinity, hi = -Infinity, top = 0;
  want.forEach((row, i) => row.forEach((w, j) => {
    err = Math.max(err, Math.abs(w - got[i]![j]!));
    lo = Math.min(lo, w); hi = Math.max(hi, w); top = Math.max(top, Math.abs(w));
  }));
  const range = hi > lo ? hi - lo : top;
  return range > 0 ? err / range : err === 0 ? 0 : Infinity;
}

/**
 * Chooses the cheapest weight and activation widths whose outputs stay within `tolerance` of
 * the reference on the calibration inputs, as EZKL's `calibrate-settings --target resources`
 * chooses its scales: fewer bits shorten every range check a requantisation makes (a LeNet-class
 * CNN's first layer pays about 1,150 constraints a bit). The widths never exceed the ones asked
 * for (`options.weightBits` and `options.activationBits`, else {@link DEFAULT_PRECISION}); when
 * even those miss the tolerance, they are returned with their error and the caller decides.
 *
 * Each trial lowers the model (the float calibration run is shared) and runs it on every
 * calibration input. Models of up to {@link MAX_NODE_SEARCH} requantising nodes get a width per
 * node (`quantize`'s `nodes`):
 * 1. each node's weight width and activation width is narrowed alone, the others at the
 *    widest, by bisection to the narrowest within tolerance: what each bit saves and what error
 *    it adds;
 * 2. the error budget (the tolerance less the widest widths' error) is shared out as a
 *    multiple-choice knapsack (most constraints saved, errors taken as additive) and run; as
 *    errors are not quite additive, the budget's multiple is bisected in (0, 2] for the largest
 *    whose widths stay within tolerance;
 * 3. from the cheapest trial within tolerance, one width at a time is narrowed by a bit, the
 *    costliest bit first, while the result stays within tolerance (the headroom the estimates left).
 *
 * Larger models get one width for every node: for each weight width from the widest down, the
 * narrowest activation width within tolerance by bisection, starting from the previous width's.
 *
 * Error is assumed monotone in each width only to prune: the returned choice is always a trial
 * that was run and met the tolerance.
 *
 * @example
 * const ref = calibration.map((x) => inferFloat(imported, x))
 * const { model, weightBits, activationBits, nodes, error } = choosePrecision(imported, { calibration }, ref, 0.01)
 */
export function choosePrecision(imported: ImportedModel, options: QuantizeOptions & { calibration: number[][]; weightSignals?: boolean }, reference: readonly (readonly number[])[], tolerance: number): PrecisionChoice {
  checkTolerance(tolerance);
  const wMax = options.weightBits ?? DEFAULT_PRECISION.weightBits, aMax = options.activationBits ?? DEFAULT_PRECISION.activationBits;
  // The float run over the calibration inputs does not depend on the widths: once for every trial.
  const pass = calibrate(imported, options);
  const trials: PrecisionTrial[] = [];
  const byKey = new Map<string, PrecisionTrial>();
  // Only the cheapest trial within tolerance keeps its model (a trial's model can be large).
  let best: { trial: PrecisionTrial; model: QuantizedModel } | undefined;
  const ok = (t: PrecisionTrial) => t.error <= tolerance;
  const run = (weightBits: number, activationBits: number, nodes: NodePrecision = {}): PrecisionTrial => {
    const key = `${weightBits}/${activationBits}/${JSON.stringify(nodes)}`;
    const seen = byKey.get(key);
    if (seen) return seen;
    const model = quantize(imported, { ...options, weightBits, activationBits, ...(Object.keys(nodes).length > 0 ? { nodes } : {}) }, pass);
    const got = options.calibration.map((x) => dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x))));
    const trial: PrecisionTrial = { weightBits, activationBits, ...(Object.keys(nodes).length > 0 ? { nodes } : {}), constraints: programConstraints(model.steps, options.weightSignals === true), error: relativeError(reference, got) };
    trials.push(trial);
    byKey.set(key, trial);
    const better = !best || (ok(trial) && (!ok(best.trial) || trial.constraints < best.trial.constraints || (trial.constraints === best.trial.constraints && trial.error < best.trial.error)));
    if (better) best = { trial, model };
    return trial;
  };

  const widest = run(wMax, aMax);
  if (ok(widest)) {
    const names = [...new Set(best!.model.steps.flatMap((st) => (st.kind === 'requant' && st.weights ? [st.name] : [])))];
    if (names.length > 0 && names.length <= MAX_NODE_SEARCH) perNode(names, widest);
    else uniform();
  }
  return { ...best!.trial, model: best!.model, tolerance, trials };

  /** One width for every node: per weight width, the narrowest activation width by bisection. */
  function uniform() {
    let aLow = Math.min(MIN_ACTIVATION_BITS, aMax);
    for (let w = wMax; w >= Math.min(MIN_WEIGHT_BITS, wMax); w--) {
      if (!ok(run(w, aMax))) break;
      aLow = narrowestPassing(aLow, aMax, (a) => ok(run(w, a)));
    }
  }

  function perNode(names: string[], widest: PrecisionTrial) {
    type Option = { bits: number; saved: number; added: number };
    type Group = { node: string; knob: 'weightBits' | 'activationBits'; top: number; narrowest: number; options: Option[] };
    const groups: Group[] = [];
    for (const node of names) {
      for (const knob of ['weightBits', 'activationBits'] as const) {
        const options: Option[] = [];
        const top = knob === 'weightBits' ? wMax : aMax, bottom = Math.min(knob === 'weightBits' ? MIN_WEIGHT_BITS : MIN_ACTIVATION_BITS, top);
        // Every width the bisection ran within tolerance is an option.
        const narrowest = narrowestPassing(bottom, top, (bits) => {
          const t = run(wMax, aMax, { [node]: { [knob]: bits } });
          if (ok(t)) options.push({ bits, saved: widest.constraints - t.constraints, added: Math.max(0, t.error - widest.error) });
          return ok(t);
        });
        if (options.some((o) => o.saved > 0)) groups.push({ node, knob, top, narrowest, options });
      }
    }
    const UNITS = 400;
    const budget = tolerance - widest.error;
    /** The knapsack's widths for an error budget (errors rounded up to its units: never more than the budget). */
    const share = (limit: number): NodePrecision => {
      const unit = limit / UNITS;
      let dp: { saved: number; pick: (Option | undefined)[] }[] = Array.from({ length: UNITS + 1 }, () => ({ saved: 0, pick: [] }));
      for (const g of groups) {
        const next = dp.map((d) => ({ saved: d.saved, pick: [...d.pick, undefined as Option | undefined] }));
        for (const o of g.options) {
          const cost = Math.ceil(o.added / unit - 1e-9);
          for (let j = UNITS; j >= cost; j--) {
            const from = dp[j - cost]!;
            if (from.saved + o.saved > next[j]!.saved) next[j] = { saved: from.saved + o.saved, pick: [...from.pick, o] };
          }
        }
        dp = next;
      }
      const nodes: Record<string, { weightBits?: number; activationBits?: number }> = {};
      groups.forEach((g, i) => { const o = dp[UNITS]!.pick[i]; if (o) nodes[g.node] = { ...nodes[g.node], [g.knob]: o.bits }; });
      return nodes;
    };
    // Errors are not quite additive: bisect the budget's multiple in (0, 2] for the largest whose widths run within tolerance.
    if (!(budget > 0) || groups.length === 0) return;
    let lo = 0, hi = 2;
    for (let step = 0; step < 7; step++) {
      const m = step === 0 ? 1 : (lo + hi) / 2;
      const nodes = share(budget * m);
      if (Object.keys(nodes).length > 0 && ok(run(wMax, aMax, nodes))) lo = m;
      else hi = m;
    }
    // What headroom is left (the knapsack's errors are estimates): from the cheapest trial within
    // tolerance, narrow one width a bit at a time, the costliest bit first, while it stays within.
    const start = best!.trial.nodes;
    if (!start || !ok(best!.trial)) return;
    let current: NodePrecision = start;
    const width = (g: Group) => current[g.node]?.[g.knob] ?? g.top;
    const perBit = (g: Group) => Math.max(...g.options.map((o) => o.saved / (g.top - o.bits)));
    const open = groups.filter((g) => width(g) > g.narrowest).sort((a, b) => perBit(b) - perBit(a));
    for (let tries = 0; open.length > 0 && tries < 2 * groups.length; tries++) {
      const g = open[0]!;
      const next = { ...current, [g.node]: { ...current[g.node], [g.knob]: width(g) - 1 } };
      if (ok(run(wMax, aMax, next))) current = next;
      if (current !== next || width(g) <= g.narrowest) open.shift();
    }
  }
}
