import type { Tensor } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { tensorValue, unsupported } from './op.js';

/** Constant (value, value_float(s), value_int(s)) and Shape of a statically shaped tensor. */
export const constant: OpDef = {
  types: ['Constant', 'Shape'],
  run(_ctx, node, inputs) {
    if (node.opType === 'Shape') {
      const x = inputs[0];
      if (!x) throw unsupported(node, 'input 0 is missing');
      const rank = x.shape.length;
      const start = (node.attributes.start as number | undefined) ?? 0;
      const end = (node.attributes.end as number | undefined) ?? rank;
      const norm = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
      const dims = x.shape.slice(norm(start), norm(end));
      return [{ kind: 'const', shape: [dims.length], data: Float64Array.from(dims) }];
    }
    const a = node.attributes;
    if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return [tensorValue(a.value as Tensor)];
    for (const k of ['value_float', 'value_int'] as const) if (typeof a[k] === 'number') return [{ kind: 'const', shape: [], data: Float64Array.of(a[k] as number) }];
    for (const k of ['value_floats', 'value_ints'] as const) if (Array.isArray(a[k])) return [{ kind: 'const', shape: [(a[k] as number[]).length], data: Float64Array.from(a[k] as number[]) }];
    throw unsupported(node, 'only numeric constants are supported');
  },
};
