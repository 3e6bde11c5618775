import { axisOf, sizeOf } from '../ir/tensor.js';
import { withShape } from '../ir/value.js';
import type { OpDef } from './op.js';
import { attr, intsFrom, need, shapeError, staticInput } from './op.js';

/** Reshape (0 copies a dimension unless allowzero, -1 is inferred): no data moves. */
export const reshape: OpDef = {
  types: ['Reshape'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const spec = Array.from(inputs[1] ? staticInput(ctx, node, inputs, 1, 'shape').data : attr<number[]>(node, 'shape', []));
    const allowZero = attr(node, 'allowzero', 0) === 1;
    const dims = spec.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
    const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const shape = dims.map((d) => (d === -1 ? sizeOf(x.shape) / known : d));
    if (sizeOf(shape) !== sizeOf(x.shape) || shape.some((d) => !Number.isInteger(d))) throw shapeError(node, x.shape, dims);
    return [withShape(x, shape)];
  },
};

/** Flatten to 2-D at `axis` (default 1). */
export const flatten: OpDef = {
  types: ['Flatten'],
  run(_ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const axis = axisOf(attr(node, 'axis', 1), x.shape.length);
    return [withShape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))])];
  },
};

/** Squeeze and Unsqueeze (axes as attribute, or as input from opset 13). */
export const squeeze: OpDef = {
  types: ['Squeeze', 'Unsqueeze'],
  run(ctx, node, inputs) {
    const x = need(node, inputs, 0);
    const axes = intsFrom(ctx, node, inputs, 1, 'axes');
    if (node.opType === 'Squeeze') {
      const drop = new Set((axes ?? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => axisOf(a, x.shape.length)));
      for (const a of drop) if (x.shape[a] !== 1) throw shapeError(node, [1], [x.shape[a]!]);
      return [withShape(x, x.shape.filter((_, i) => !drop.has(i)))];
    }
    const rank = x.shape.length + (axes?.length ?? 0);
    const add = new Set((axes ?? []).map((a) => axisOf(a, rank)));
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(add.has(i) ? 1 : x.shape[k++]!);
    return [withShape(x, shape)];
  },
};
