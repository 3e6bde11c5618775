import { constValue, type ConstValue, type Value } from '../ir/value.js';
import type { Context, PwlFunction } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, staticInput, unsupported } from './op.js';
import { SIGMOID } from './sigmoid.js';
import { TANH } from './tanh.js';

type Cell = 'RNN' | 'GRU' | 'LSTM';

/** Gates per cell, in ONNX's weight order: RNN [h], GRU [z, r, h], LSTM [i, o, f, c]. */
const GATES: Record<Cell, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<Cell, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };

/**
 * The Sigmoid and Tanh operators' functions in 64 segments instead of 32: a cell's error is
 * carried through every later step (the golden two-layer LSTM classifier is 1.9% of its output
 * range off with 32, 0.7% with 64), for 32 more constraints per element.
 */
const CELL_SIGMOID: PwlFunction = { ...SIGMOID, segmentBits: 6 };
const CELL_TANH: PwlFunction = { ...TANH, segmentBits: 6 };

/** The activation functions the cells may name: Sigmoid and Tanh (piecewise-linear tables), and Relu. */
function activation(ctx: Context, node: OnnxNode, name: string): (v: Value) => Value {
  switch (name.toLowerCase()) {
    case 'sigmoid': return (v) => ctx.pwl(v, CELL_SIGMOID);
    case 'tanh': return (v) => ctx.pwl(v, CELL_TANH);
    case 'relu': return (v) => ctx.requant(v, 'relu');
    default: throw unsupported(node, `activation ${name} is not supported in a recurrent cell (Sigmoid, Tanh and Relu are)`);
  }
}

/** One direction's constants: weights `W[G*H][I]`, `R[G*H][H]`, biases `Wb + Rb` split, peepholes. */
type Weights = { W: Float64Array; R: Float64Array; Wb: Float64Array; Rb: Float64Array; P?: Float64Array };

const slice = (v: ConstValue, d: number, n: number) => v.data.subarray(d * n, (d + 1) * n);

type Add = (operand: number, index: number, coef: number) => void;
/**
 * Gate g's pre-activation over [N, H] at the current step: `x_t W_g^T + h R_g^T + Wb_g + Rb_g`
 * (`recur: false` leaves out `h R_g^T`, `rb: false` leaves out Rb_g), plus `extra` terms over
 * the operands in `more` (operand 2 onward).
 */
type Pre = (g: number, opts?: { recur?: boolean; rb?: boolean; more?: Value[]; extra?: (o: number, add: Add) => void }) => Value;
type CellStep = { ctx: Context; f: ((v: Value) => Value)[]; pre: Pre; w: Weights; N: number; H: number };
type CellState = { h: Value; c: Value };

const sum = (ctx: Context, shape: number[], a: Value, b: Value, kb = 1) => ctx.linear(shape, [a, b], (o, add) => { add(0, o, 1); add(1, o, kb); return 0; });

/** One GRU step: z, r, the candidate h~ (reset before or after the recurrence product), then h~ + z * (h - h~). */
function gruStep({ ctx, f, pre, w, N, H }: CellStep, h: Value, linearBeforeReset: boolean): Value {
  const z = f[0]!(pre(0)), r = f[0]!(pre(1));
  const recurrence = (operand: number) => (o: number, add: Add) => { const n = Math.floor(o / H), row = 2 * H + (o % H); for (let k = 0; k < H; k++) add(operand, n * H + k, w.R[row * H + k]!); };
  let candidate: Value;
  if (linearBeforeReset) {
    // h~ = g(x W_h^T + r * (h R_h^T + Rb_h) + Wb_h)
    const hr = ctx.linear([N, H], [h], (o, add) => { recurrence(0)(o, add); return w.Rb[2 * H + (o % H)]!; });
    candidate = f[1]!(pre(2, { recur: false, rb: false, more: [ctx.product(r, hr)], extra: (o, add) => add(2, o, 1) }));
  } else {
    // h~ = g(x W_h^T + (r * h) R_h^T + Rb_h + Wb_h)
    candidate = f[1]!(pre(2, { recur: false, more: [ctx.product(r, h)], extra: recurrence(2) }));
  }
  const zd = ctx.product(z, sum(ctx, [N, H], h, candidate, -1));
  return ctx.materialize(sum(ctx, [N, H], candidate, zd));
}

/** One LSTM step: i and f (peepholes on c), g, c' = f * c + i * g, o (peephole on c'), h' = o * h(c'). */
function lstmStep({ ctx, f, pre, w, N, H }: CellStep, { c }: CellState): CellState {
  const peep = (k: number) => (o: number, add: Add) => { if (w.P) add(2, o, w.P[k * H + (o % H)]!); };
  const i = f[0]!(pre(0, { more: [c], extra: peep(0) }));
  const forget = f[0]!(pre(2, { more: [c], extra: peep(2) }));
  const g = f[1]!(pre(3));
  const next = ctx.materialize(sum(ctx, [N, H], ctx.product(forget, c), ctx.product(i, g)));
  const o = f[0]!(pre(1, { more: [next], extra: peep(1) }));
  return { h: ctx.product(o, f[2]!(next)), c: next };
}

/**
 * RNN, GRU and LSTM (as `torch.onnx.export` writes them), unrolled over the fixed sequence
 * length: forward, reverse or bidirectional (layout 0), initial states as inputs (computed
 * or constant, ConstantOfShape zeros included) or absent, LSTM peepholes. Every gate's
 * pre-activation is linear in the input and the previous state (constant W, R, B, P: no
 * constraint); the activations are Sigmoid and Tanh as piecewise-linear tables of 64 segments;
 * the gate products (GRU `r * h` and `z * (h - h~)`, LSTM `f * c`, `i * g` and `o * tanh(c)`)
 * are one product constraint per element; GRU's and LSTM's new states are requantised once
 * per step. Refused with the reason: layout 1, `clip`, LSTM `input_forget`, a `sequence_lens`
 * that is computed or shorter than the sequence, other activation functions.
 */
export const recurrent: OpDef = {
  types: ['RNN', 'GRU', 'LSTM'],
  run(ctx, node, inputs) {
    const cell = node.opType as Cell;
    const G = GATES[cell];
    const x = need(node, inputs, 0);
    const W = staticInput(ctx, node, inputs, 1, 'input weights W');
    const R = staticInput(ctx, node, inputs, 2, 'recurrence weights R');
    const B = inputs[3] ? staticInput(ctx, node, inputs, 3, 'bias B') : undefined;
    if (attr<number>(node, 'clip') !== undefined) throw unsupported(node, 'the clip attribute is not supported');
    if (cell === 'LSTM' && attr(node, 'input_forget', 0) !== 0) throw unsupported(node, 'input_forget is not supported');
    // onnxruntime has no batch-first recurrent kernels to check against; PyTorch's batch_first exports a Transpose and layout 0.
    if (attr(node, 'layout', 0) !== 0) throw unsupported(node, 'layout 1 (batch first) is not supported; transpose the input to [sequence, batch, features]');
    if (x.shape.length !== 3) throw shapeError(node, [0, 0, 0], x.shape);
    const [T, N, I] = x.shape as [number, number, number];
    if (inputs[4]) {
      const lens = staticInput(ctx, node, inputs, 4, 'sequence_lens');
      if (lens.data.some((v) => v !== T)) throw unsupported(node, `sequence_lens [${Array.from(lens.data)}] differs from the sequence length ${T}; only full sequences are supported`);
    }
    const direction = attr(node, 'direction', 'forward');
    if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw unsupported(node, `direction ${direction}`);
    const D = direction === 'bidirectional' ? 2 : 1;
    const H = attr(node, 'hidden_size', R.shape[2] ?? 0);
    const expect = (v: ConstValue, shape: number[]) => { if (v.shape.join() !== shape.join()) throw shapeError(node, shape, v.shape); };
    expect(W, [D, G * H, I]);
    expect(R, [D, G * H, H]);
    if (B) expect(B, [D, 2 * G * H]);
    const names = attr<string[]>(node, 'activations') ?? Array.from({ length: D }, () => DEFAULT_ACTIVATIONS[cell]).flat();
    const per = DEFAULT_ACTIVATIONS[cell].length;
    if (names.length !== per * D) throw unsupported(node, `${names.length} activations for ${D} direction(s) of ${per}`);
    const acts = names.map((n) => activation(ctx, node, n));
    const stateShape = [D, N, H];
    const initialState = (i: number): Value | undefined => {
      const v = inputs[i];
      if (v && v.shape.join() !== stateShape.join()) throw shapeError(node, stateShape, v.shape);
      return v;
    };
    const h0 = initialState(5);
    const c0 = cell === 'LSTM' ? initialState(6) : undefined;
    const P = cell === 'LSTM' && inputs[7] ? staticInput(ctx, node, inputs, 7, 'peepholes P') : undefined;
    if (P) expect(P, [D, 3 * H]);
    const zeros = constValue([N, H], new Float64Array(N * H));
    // Direction d's [N, H] part of an initial state.
    const initial = (v: Value | undefined, d: number) => (v ? ctx.select([N, H], [v], (o) => [0, d * N * H + o]) : zeros);
    const xAt = (t: number, n: number, i: number) => (t * N + n) * I + i;

    const hs: Value[][] = [], last: Value[] = [], lastC: Value[] = [];
    for (let d = 0; d < D; d++) {
      const w: Weights = {
        W: slice(W, d, G * H * I), R: slice(R, d, G * H * H),
        Wb: B ? slice(B, d, 2 * G * H).subarray(0, G * H) : new Float64Array(G * H),
        Rb: B ? slice(B, d, 2 * G * H).subarray(G * H) : new Float64Array(G * H),
        P: P ? slice(P, d, 3 * H) : undefined,
      };
      const f = acts.slice(d * per, (d + 1) * per);
      const reverse = direction === 'reverse' || d === 1;
      let state: CellState = { h: initial(h0, d), c: initial(c0, d) };
      const out: Value[] = new Array(T);
      for (let s = 0; s < T; s++) {
        const t = reverse ? T - 1 - s : s;
        const { h } = state;
        const pre: Pre = (g, opts = {}) => ctx.linear([N, H], [x, h, ...(opts.more ?? [])], (o, add) => {
          const n = Math.floor(o / H), row = g * H + (o % H);
          for (let i = 0; i < I; i++) add(0, xAt(t, n, i), w.W[row * I + i]!);
          if (opts.recur !== false) for (let k = 0; k < H; k++) add(1, n * H + k, w.R[row * H + k]!);
          opts.extra?.(o, add);
          return w.Wb[row]! + (opts.rb === false ? 0 : w.Rb[row]!);
        });
        const cellStep = { ctx, f, pre, w, N, H };
        if (cell === 'LSTM') state = lstmStep(cellStep, state);
        else state = { h: cell === 'GRU' ? gruStep(cellStep, h, attr(node, 'linear_before_reset', 0) !== 0) : f[0]!(pre(0)), c: state.c };
        out[t] = state.h;
      }
      hs.push(out);
      last.push(state.h);
      lastC.push(state.c);
    }
    // Y [T, D, N, H]: step t of direction d is operand d * T + t; Y_h and Y_c [D, N, H].
    const Y = ctx.select([T, D, N, H], hs.flat(), (o) => [(Math.floor(o / (N * H)) % D) * T + Math.floor(o / (D * N * H)), o % (N * H)]);
    const finalOf = (vs: Value[]) => ctx.select(stateShape, vs, (o) => [Math.floor(o / (N * H)), o % (N * H)]);
    return cell === 'LSTM' ? [Y, finalOf(last), finalOf(lastC)] : [Y, finalOf(last)];
  },
};
