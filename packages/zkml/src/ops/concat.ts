import { axisOf, sizeOf } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { OpDef } from './op.js';
import { attr, shapeError, unsupported } from './op.js';

/** Concat along an axis: data movement only. */
export const concat: OpDef = {
  types: ['Concat'],
  run(ctx, node, inputs) {
    const parts = inputs.filter((v): v is Value => v !== undefined && sizeOf(v.shape) > 0);
    if (parts.length === 0) throw unsupported(node, 'no inputs');
    const rank = parts[0]!.shape.length;
    const axis = axisOf(attr<number>(node, 'axis') ?? 0, rank);
    for (const p of parts) {
      if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== parts[0]!.shape[i])) throw shapeError(node, parts[0]!.shape, p.shape);
    }
    const shape = [...parts[0]!.shape];
    shape[axis] = parts.reduce((a, p) => a + p.shape[axis]!, 0);
    const inner = sizeOf(shape.slice(axis + 1));
    const owner: [number, number][] = [];
    parts.forEach((p, k) => { for (let j = 0; j < p.shape[axis]!; j++) owner.push([k, j]); });
    return [ctx.select(shape, parts, (o) => {
      const outer = Math.floor(o / (shape[axis]! * inner));
      const a = Math.floor(o / inner) % shape[axis]!;
      const [k, j] = owner[a]!;
      const len = parts[k]!.shape[axis]!;
      return [k, (outer * len + j) * inner + (o % inner)];
    })];
  },
};
