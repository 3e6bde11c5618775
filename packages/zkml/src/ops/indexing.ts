import { axisOf, broadcastIndex, broadcastShapes, ravel, sizeOf, stridesOf, unravel } from '../ir/tensor.js';
import type { ConstValue, Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, staticInput, unsupported } from './op.js';

/** Index values with negative ones counted from the end of a dimension of size `d`, each checked to lie in [0, d). */
function normalised(node: OnnxNode, idx: ConstValue, d: (i: number) => number): number[] {
  return Array.from(idx.data, (v, i) => {
    const n = v < 0 ? v + d(i) : v;
    if (!Number.isInteger(n) || n < 0 || n >= d(i)) throw unsupported(node, `index ${v} is outside [${-d(i)}, ${d(i)})`);
    return n;
  });
}

/**
 * Selection by computed indices: output element `o` is candidate `position[at(o)]` of `d`,
 * read from `data` at `source(o, j)`. One IsZero selector per index element and candidate
 * (`[position == j]`, exact, so at most one is 1, and exactly one when the index is in range; an
 * index out of range selects 0, where onnxruntime fails). Constant data is combined linearly
 * with the selectors; computed data costs one product per output element and candidate.
 */
export function selectComputed(ctx: Context, node: OnnxNode, shape: number[], position: Value, d: number, data: Value, at: (o: number) => number, source: (o: number, j: number) => number): Value {
  const n = sizeOf(shape), m = sizeOf(position.shape);
  const hit = ctx.isZero(ctx.linear([m, d], [position], (o, add) => { add(0, Math.floor(o / d), 1); return -(o % d); }));
  if (ctx.isStatic(data)) {
    return ctx.linear(shape, [hit], (o, add) => { for (let j = 0; j < d; j++) add(0, at(o) * d + j, data.data[source(o, j)]!); return 0; });
  }
  if (n * d > 1 << 20) throw unsupported(node, `a computed index selects among ${d} computed values per element, ${n * d} products in all`);
  const candidates = ctx.select([n, d], [data], (o) => [0, source(Math.floor(o / d), o % d)]);
  const selectors = ctx.select([n, d], [hit], (o) => [0, at(Math.floor(o / d)) * d + (o % d)]);
  const picked = ctx.product(selectors, candidates);
  return ctx.linear(shape, [picked], (o, add) => { for (let j = 0; j < d; j++) add(0, o * d + j, 1); return 0; });
}

/**
 * GatherElements: `out[i] = data[i with i[axis] replaced by indices[i]]`. Constant indices are
 * wiring; computed indices select through one-hot indicators ({@link selectComputed}).
 */
export const gatherElements: OpDef = {
  types: ['GatherElements'],
  run(ctx, node, inputs) {
    const data = need(node, inputs, 0), indices = need(node, inputs, 1);
    const rank = data.shape.length, axis = axisOf(attr(node, 'axis', 0), rank);
    if (indices.shape.length !== rank || indices.shape.some((d, i) => i !== axis && d > data.shape[i]!)) throw shapeError(node, data.shape, indices.shape);
    const shape = indices.shape, ds = stridesOf(data.shape), d = data.shape[axis]!;
    const at = (o: number, j: number) => { const idx = unravel(o, shape); idx[axis] = j; return ravel(idx, ds); };
    if (ctx.isStatic(indices)) {
      const idx = normalised(node, indices, () => d);
      return [ctx.select(shape, [data], (o) => [0, at(o, idx[o]!)])];
    }
    // A negative computed index is not wrapped: it selects nothing.
    return [selectComputed(ctx, node, shape, indices, d, data, (o) => o, at)];
  },
};

/**
 * GatherND (batch_dims too): the last axis of `indices` addresses the leading axes of `data`
 * after the batch axes. Constant indices are wiring; computed indices are combined into one
 * flat position (linear) and select through one-hot indicators.
 */
export const gatherND: OpDef = {
  types: ['GatherND'],
  run(ctx, node, inputs) {
    const data = need(node, inputs, 0), indices = need(node, inputs, 1);
    const b = attr(node, 'batch_dims', 0);
    const k = indices.shape[indices.shape.length - 1]!;
    if (k > data.shape.length - b) throw shapeError(node, data.shape, indices.shape);
    const tuples = sizeOf(indices.shape.slice(b, -1));
    const dims = data.shape.slice(b, b + k), slice = sizeOf(data.shape.slice(b + k)), cells = sizeOf(dims);
    const shape = [...indices.shape.slice(0, -1), ...data.shape.slice(b + k)];
    const ds = stridesOf(dims);
    // output element o: batch g, tuple t, offset e within the addressed slice
    const parts = (o: number) => { const e = o % slice, t = Math.floor(o / slice); return { e, t, g: Math.floor(t / tuples) }; };
    if (ctx.isStatic(indices)) {
      const idx = normalised(node, indices, (i) => dims[i % k]!);
      return [ctx.select(shape, [data], (o) => {
        const { e, t, g } = parts(o);
        return [0, (g * cells + ravel(idx.slice(t * k, t * k + k), ds)) * slice + e];
      })];
    }
    const position = ctx.linear(shape, [indices], (o, add) => { const { t } = parts(o); for (let i = 0; i < k; i++) add(0, t * k + i, ds[i]!); return 0; });
    return [selectComputed(ctx, node, shape, position, cells, data, (o) => o, (o, j) => { const { e, g } = parts(o); return (g * cells + j) * slice + e; })];
  },
};

/**
 * ScatterElements (and its old name Scatter) and ScatterND, reduction none (later updates win,
 * as onnxruntime applies them in order) or add. Constant indices: a copy of `data` where the
 * addressed elements take (or add) the updates, wiring and linear sums. Computed indices: one
 * IsZero selector per update (or index tuple) and candidate position, then per output element
 * and update one product: `out += hit * update` (add) or `out += hit * (update - out)` in update
 * order (none). A negative computed index selects nothing. With constant indices the mul, max
 * and min reductions fold each update in turn (one product, or one exact `b + relu(a - b)`, per
 * output and update); with computed indices they are refused.
 */
export const scatter: OpDef = {
  types: ['ScatterElements', 'Scatter', 'ScatterND'],
  run(ctx, node, inputs) {
    const data = need(node, inputs, 0), indices = need(node, inputs, 1), updates = need(node, inputs, 2);
    const reduction = attr(node, 'reduction', 'none');
    if (!['none', 'add', 'mul', 'max', 'min'].includes(reduction)) throw unsupported(node, `reduction "${reduction}"`);
    const computed = !ctx.isStatic(indices);
    // writers(o): the update elements u that may write output o, with the index entry p whose
    // value must equal candidate j for u to land on o; position: the index entries as positions
    let writers: (o: number) => [u: number, p: number, j: number][];
    let position: Value, d: number;
    if (node.opType === 'ScatterND') {
      const k = indices.shape[indices.shape.length - 1]!, slice = sizeOf(data.shape.slice(k)), tuples = sizeOf(indices.shape) / k;
      if (sizeOf(updates.shape) !== tuples * slice) throw shapeError(node, [...indices.shape.slice(0, -1), ...data.shape.slice(k)], updates.shape);
      d = sizeOf(data.shape.slice(0, k));
      const cs = stridesOf(data.shape.slice(0, k));
      if (!computed) {
        const idx = normalised(node, indices as ConstValue, (i) => data.shape[i % k]!);
        position = ctx.select([tuples], [], (t) => ravel(idx.slice(t * k, t * k + k), cs));
      } else {
        position = ctx.linear([tuples], [indices], (t, add) => { for (let i = 0; i < k; i++) add(0, t * k + i, cs[i]!); return 0; });
      }
      writers = (o) => Array.from({ length: tuples }, (_, t) => [t * slice + (o % slice), t, Math.floor(o / slice)]);
    } else {
      const axis = axisOf(attr(node, 'axis', 0), data.shape.length);
      d = data.shape[axis]!;
      if (updates.shape.join() !== indices.shape.join() || indices.shape.length !== data.shape.length || indices.shape.some((v, i) => i !== axis && v > data.shape[i]!)) throw shapeError(node, indices.shape, updates.shape);
      const idx = computed ? [] : normalised(node, indices as ConstValue, () => d);
      position = computed ? indices : ctx.select(indices.shape, [], (u) => idx[u]!);
      const us = stridesOf(indices.shape);
      writers = (o) => {
        const at = unravel(o, data.shape);
        if (at.some((v, i) => i !== axis && v >= indices.shape[i]!)) return [];
        return Array.from({ length: indices.shape[axis]! }, (_, r) => { const u = ravel(at.map((v, i) => (i === axis ? r : v)), us); return [u, u, at[axis]!]; });
      };
    }
    if (!computed) {
      const pos = (position as ConstValue).data;
      const last = new Map<number, number[]>();
      for (let o = 0; o < sizeOf(data.shape); o++) {
        const w = writers(o).filter(([, p, j]) => pos[p] === j).map(([u]) => u);
        if (w.length > 0) last.set(o, reduction === 'none' ? [w[w.length - 1]!] : w);
      }
      if (reduction === 'mul' || reduction === 'max' || reduction === 'min') return [foldUpdates(ctx, data, updates, last, reduction)];
      return [ctx.linear(data.shape, [data, updates], (o, add) => {
        const w = last.get(o);
        if (!w || reduction === 'add') add(0, o, 1);
        for (const u of w ?? []) add(1, u, 1);
        return 0;
      })];
    }
    if (reduction !== 'none' && reduction !== 'add') throw unsupported(node, `reduction "${reduction}" at indices computed from the model input (none and add are supported there)`);
    const n = sizeOf(data.shape), rounds = Math.max(0, ...Array.from({ length: n }, (_, o) => writers(o).length));
    if (n * rounds > 1 << 20) throw unsupported(node, `computed indices make every one of ${n} outputs choose among ${rounds} updates, ${n * rounds} products in all`);
    const hit = ctx.isZero(ctx.linear([sizeOf(position.shape), d], [position], (o, add) => { add(0, Math.floor(o / d), 1); return -(o % d); }));
    let out = data;
    for (let r = 0; r < rounds; r++) {
      const h = ctx.select(data.shape, [hit], (o) => { const w = writers(o)[r]; return w ? [0, w[1] * d + w[2]] : 0; });
      const v = ctx.select(data.shape, [updates], (o) => { const w = writers(o)[r]; return w ? [0, w[0]] : 0; });
      const delta = reduction === 'add' ? v : ctx.linear(data.shape, [v, out], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
      const t = ctx.product(h, delta);
      out = ctx.linear(data.shape, [out, t], (o, add) => { add(0, o, 1); add(1, o, 1); return 0; });
    }
    return [out];
  },
};

/** Folds each output's updates into it in order: `out * u` (mul), `max(out, u)` or `min(out, u)`. */
function foldUpdates(ctx: Context, data: Value, updates: Value, writers: ReadonlyMap<number, number[]>, reduction: 'mul' | 'max' | 'min'): Value {
  const rounds = Math.max(0, ...[...writers.values()].map((w) => w.length));
  let out = data;
  for (let r = 0; r < rounds; r++) {
    // an output without an r-th update meets the identity: 1 for mul, itself for max and min
    const v = ctx.select(data.shape, [updates, out], (o) => { const u = writers.get(o)?.[r]; return u !== undefined ? [0, u] : reduction === 'mul' ? 1 : [1, o]; });
    if (reduction === 'mul') out = ctx.product(out, v);
    else if (reduction === 'max') out = ctx.max2(out, v);
    else out = ctx.linear(data.shape, [ctx.max2(neg(ctx, out), neg(ctx, v))], (o, add) => { add(0, o, -1); return 0; });
  }
  return out;
}

const neg = (ctx: Context, v: Value) => ctx.linear(v.shape, [v], (o, add) => { add(0, o, -1); return 0; });

/** Trilu: the upper (or lower) triangle of the last two axes from diagonal k, zeros elsewhere: wiring. */
export const trilu: OpDef = {
  types: ['Trilu'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const k = inputs[1] ? staticInput(ctx, node, inputs, 1, 'k').data[0]! : 0;
    const upper = attr(node, 'upper', 1) === 1;
    if (x.shape.length < 2) throw shapeError(node, [1, 1], x.shape);
    const [r, c] = x.shape.slice(-2) as [number, number];
    return [ctx.select(x.shape, [x], (o) => {
      const j = o % c, i = Math.floor(o / c) % r;
      return (upper ? j - i >= k : j - i <= k) ? [0, o] : 0;
    })];
  },
};

/** Tile by constant repeats: wiring. */
export const tile: OpDef = {
  types: ['Tile'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const reps = Array.from(staticInput(ctx, node, inputs, 1, 'repeats').data);
    if (reps.length !== x.shape.length || reps.some((r) => !Number.isInteger(r) || r < 0)) throw shapeError(node, x.shape, reps);
    const shape = x.shape.map((d, i) => d * reps[i]!), xs = stridesOf(x.shape);
    return [ctx.select(shape, [x], (o) => [0, ravel(unravel(o, shape).map((v, i) => v % x.shape[i]!), xs)])];
  },
};

/** Expand to a constant shape (numpy broadcasting both ways): wiring. */
export const expand: OpDef = {
  types: ['Expand'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const target = Array.from(staticInput(ctx, node, inputs, 1, 'shape').data);
    const shape = target.every((d) => Number.isInteger(d) && d >= 0) ? broadcastShapes(x.shape, target) : undefined;
    if (!shape) throw shapeError(node, target, x.shape);
    const ix = broadcastIndex(x.shape, shape);
    return [ctx.select(shape, [x], (o) => [0, ix(o)])];
  },
};

/** Size: the element count of a statically shaped tensor, a compile-time constant (as Shape is). */
export const size: OpDef = {
  types: ['Size'],
  run(ctx, node, inputs) {
    return [ctx.select([], [], () => sizeOf(need(node, inputs, 0).shape))];
  },
};

/** Range: a tensor fixed at compile time (start, limit and delta must be constants, as values folded from Shape are). */
export const range: OpDef = {
  types: ['Range'],
  run(ctx, node, inputs) {
    const [start, limit, delta] = [0, 1, 2].map((i) => staticInput(ctx, node, inputs, i, ['start', 'limit', 'delta'][i]!).data[0]!) as [number, number, number];
    if (delta === 0) throw unsupported(node, 'delta is 0');
    const n = Math.max(0, Math.ceil((limit - start) / delta));
    return [ctx.select([n], [], (o) => start + o * delta)];
  },
};

/**
 * OneHot(indices, depth, values): `values[1]` where the class is the index (negative indices
 * count from depth), `values[0]` elsewhere, on a new axis. Constant indices fold; computed
 * indices are IsZero indicators (two per class: the index and its negative spelling).
 */
export const oneHot: OpDef = {
  types: ['OneHot'],
  run(ctx, node, inputs) {
    const indices = need(node, inputs, 0);
    const depth = staticInput(ctx, node, inputs, 1, 'depth').data[0]!;
    if (!Number.isInteger(depth) || depth < 1) throw unsupported(node, `depth ${depth} is not a positive integer`);
    const [off, on] = staticInput(ctx, node, inputs, 2, 'values').data as unknown as [number, number];
    const rank = indices.shape.length + 1, axis = axisOf(attr(node, 'axis', -1), rank);
    const shape = [...indices.shape.slice(0, axis), depth, ...indices.shape.slice(axis)];
    const inner = sizeOf(indices.shape.slice(axis));
    // output o reads index element src(o) against class cls(o)
    const cls = (o: number) => Math.floor(o / inner) % depth;
    const src = (o: number) => Math.floor(o / (inner * depth)) * inner + (o % inner);
    const diff = (shift: number) => ctx.isZero(ctx.linear(shape, [indices], (o, add) => { add(0, src(o), 1); return -(cls(o) + shift); }));
    const hit = ctx.linear(shape, [diff(0), diff(-depth)], (o, add) => { add(0, o, 1); add(1, o, 1); return 0; });
    return [ctx.linear(shape, [hit], (o, add) => { add(0, o, on - off); return off; })];
  },
};

/** DepthToSpace (DCR and CRD) and SpaceToDepth on [N, C, H, W]: wiring. */
export const depthToSpace: OpDef = {
  types: ['DepthToSpace', 'SpaceToDepth'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const bs = attr(node, 'blocksize', 1);
    if (!Number.isInteger(bs) || bs < 1) throw unsupported(node, `blocksize ${bs} is not a positive integer`);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    if (x.shape.length !== 4) throw shapeError(node, [N, C, H, W], x.shape);
    const xs = stridesOf(x.shape);
    if (node.opType === 'SpaceToDepth') {
      const shape = [N, C * bs * bs, H / bs, W / bs];
      if (!Number.isInteger(H / bs) || !Number.isInteger(W / bs)) throw shapeError(node, [N, C, bs, bs], x.shape);
      // out[n, (bh * bs + bw) * C + c, h, w] = x[n, c, h * bs + bh, w * bs + bw]
      return [ctx.select(shape, [x], (o) => {
        const [n, oc, h, w] = unravel(o, shape) as [number, number, number, number];
        const c = oc % C, bw = Math.floor(oc / C) % bs, bh = Math.floor(oc / (C * bs));
        return [0, ravel([n, c, h * bs + bh, w * bs + bw], xs)];
      })];
    }
    const crd = attr(node, 'mode', 'DCR') === 'CRD';
    const oc = C / (bs * bs);
    if (!Number.isInteger(oc)) throw shapeError(node, [N, bs * bs, H, W], x.shape);
    const shape = [N, oc, H * bs, W * bs];
    return [ctx.select(shape, [x], (o) => {
      const [n, c, hh, ww] = unravel(o, shape) as [number, number, number, number];
      const bh = hh % bs, bw = ww % bs;
      const ic = crd ? (c * bs + bh) * bs + bw : (bh * bs + bw) * oc + c;
      return [0, ravel([n, ic, Math.floor(hh / bs), Math.floor(ww / bs)], xs)];
    })];
  },
};
