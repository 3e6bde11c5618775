import { axisOf, sizeOf, stridesOf, unravel } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';

/**
 * Groups of flat indices reduced together over `axes`, with the output shape
 * (keepdims keeps reduced axes as 1).
 */
export function reductionGroups(shape: readonly number[], axes: readonly number[], keepdims: boolean): { groups: number[][]; outShape: number[] } {
  const rank = shape.length;
  const ax = new Set(axes.map((a) => axisOf(a, rank)));
  const kept = shape.map((d, i) => (ax.has(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(kept) }, () => []);
  const ks = stridesOf(kept);
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    let g = 0;
    idx.forEach((v, d) => { if (!ax.has(d)) g += v * ks[d]!; });
    groups[g]!.push(i);
  }
  return { groups, outShape: keepdims ? kept : shape.filter((_, i) => !ax.has(i)) };
}

/** Maximum over each group through a tree of exact `max2` steps (ReluRequant each). */
export function maxOverGroups(ctx: Context, x: Value, groups: readonly number[][], outShape: number[], materialize = true): Value {
  const q = materialize ? ctx.materialize(x) : x;
  const width = Math.max(...groups.map((g) => g.length));
  // Column j holds the j-th member of every group (repeating the first where a group is shorter).
  let cols = Array.from({ length: width }, (_, j) => ctx.select(outShape, [q], (o) => [0, groups[o]![j] ?? groups[o]![0]!]));
  while (cols.length > 1) {
    const next: Value[] = [];
    for (let j = 0; j + 1 < cols.length; j += 2) next.push(ctx.max2(cols[j]!, cols[j + 1]!));
    if (cols.length % 2 === 1) next.push(cols[cols.length - 1]!);
    cols = next;
  }
  return cols[0]!;
}

export function reduceAxes(node: OnnxNode, rank: number, fromInput: number[] | undefined): number[] {
  const axes = fromInput ?? (node.attributes.axes as number[] | undefined);
  if (axes && axes.length > 0) return axes;
  return (node.attributes.noop_with_empty_axes as number | undefined) ? [] : Array.from({ length: rank }, (_, i) => i);
}
