import type { PwlFunction } from '../lower/context.js';
import type { OpDef } from './op.js';
import { need } from './op.js';

export const SIGMOID: PwlFunction = { name: 'sigmoid', f: (x) => 1 / (1 + Math.exp(-x)), lo: -8, hi: 8 };

/** Sigmoid: 32-segment piecewise-linear on [-8, 8], saturated outside (Pwl template). */
export const sigmoid: OpDef = {
  types: ['Sigmoid'],
  run(ctx, node, inputs) {
    return [ctx.pwl(need(node, inputs, 0), SIGMOID)];
  },
};
