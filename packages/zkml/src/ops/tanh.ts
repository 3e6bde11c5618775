import type { PwlFunction } from '../lower/context.js';
import type { OpDef } from './op.js';
import { need } from './op.js';

export const TANH: PwlFunction = { name: 'tanh', f: Math.tanh, lo: -4, hi: 4 };

/** Tanh: 32-segment piecewise-linear on [-4, 4], saturated outside (Pwl template). */
export const tanh: OpDef = {
  types: ['Tanh'],
  run(ctx, node, inputs) {
    return [ctx.pwl(need(node, inputs, 0), TANH)];
  },
};
