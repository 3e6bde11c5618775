import { sizeOf } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need, unsupported } from './op.js';
import { maxOverGroups } from './reduce.js';
import { forEachTap, spatialInput, windowOf } from './window.js';

/** The attribute graph/import.ts's simplify sets on a MaxPool that took over the Relu before it. */
export const FUSED_RELU = 'verity.relu';

function geometry(node: Parameters<OpDef['run']>[1], shape: number[]) {
  const [N, C] = spatialInput(node, shape);
  const kernel = attr<number[]>(node, 'kernel_shape');
  if (!kernel) throw unsupported(node, 'kernel_shape is required');
  return { N, C, win: windowOf(node, shape.slice(2), kernel) };
}

/** AveragePool (count_include_pad): linear. */
export const averagePool: OpDef = {
  types: ['AveragePool'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const { N, C, win } = geometry(node, x.shape);
    const inSp = sizeOf(win.spatial), outSp = sizeOf(win.outSpatial), full = sizeOf(win.kernel);
    const includePad = attr(node, 'count_include_pad', 0) === 1;
    return [ctx.linear([N, C, ...win.outSpatial], [x], (o, add) => {
      const nc = Math.floor(o / outSp);
      const taps: number[] = [];
      forEachTap(win, o % outSp, (inFlat) => taps.push(nc * inSp + inFlat));
      const div = includePad ? full : taps.length;
      for (const t of taps) add(0, t, 1 / div);
      return 0;
    })];
  },
};

/**
 * MaxPool: a tree of exact max2 steps per window (padding positions never win). After a Relu
 * (fused by graph/import.ts's simplify): the maxima of the accumulators, then one ReLU each.
 */
export const maxPool: OpDef = {
  types: ['MaxPool'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    if (node.outputs.length > 1 && node.outputs[1]) throw unsupported(node, 'the Indices output is not supported');
    const { N, C, win } = geometry(node, x.shape);
    const inSp = sizeOf(win.spatial), outSp = sizeOf(win.outSpatial);
    const groups = Array.from({ length: N * C * outSp }, (_, o) => {
      const g: number[] = [];
      forEachTap(win, o % outSp, (inFlat) => g.push(Math.floor(o / outSp) * inSp + inFlat));
      return g;
    });
    const outShape = [N, C, ...win.outSpatial];
    if (node.attributes[FUSED_RELU]) return [ctx.reluOfMaxima(x, groups, (grid) => maxOverGroups(ctx, grid, groups, outShape, false))];
    return [maxOverGroups(ctx, x, groups, outShape)];
  },
};

/** GlobalAveragePool (linear) and GlobalMaxPool (max2 tree) over all spatial positions. */
export const globalPool: OpDef = {
  types: ['GlobalAveragePool', 'GlobalMaxPool'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const [N, C] = spatialInput(node, x.shape);
    const sp = sizeOf(x.shape.slice(2));
    const outShape = [N, C, ...x.shape.slice(2).map(() => 1)];
    if (node.opType === 'GlobalMaxPool') {
      return [maxOverGroups(ctx, x, Array.from({ length: N * C }, (_, g) => Array.from({ length: sp }, (_, i) => g * sp + i)), outShape)];
    }
    return [ctx.linear(outShape, [x], (o, add) => { for (let i = 0; i < sp; i++) add(0, o * sp + i, 1 / sp); return 0; })];
  },
};
