import { sizeOf, stridesOf, unravel } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, shapeError } from './op.js';
import { convOperands } from './window.js';

/**
 * ConvTranspose over [N, C, ...spatial] with strides, pads, dilations, groups,
 * output_padding (and output_shape): each output gathers the inputs whose scattered
 * kernel taps land on it. Linear, no constraint.
 */
export const convTranspose: OpDef = {
  types: ['ConvTranspose'],
  run(ctx, node, inputs) {
    const { x, w, b, N, C, group } = convOperands(ctx, node, inputs);
    const [Cw, Mg] = w.shape as [number, number];
    if (Cw !== C) throw shapeError(node, [N, Cw], x.shape.slice(0, 2));
    const M = Mg * group, Cg = C / group;
    const spatial = x.shape.slice(2), kernel = w.shape.slice(2), nd = spatial.length;
    const strides = attr<number[]>(node, 'strides') ?? new Array(nd).fill(1);
    const dil = attr<number[]>(node, 'dilations') ?? new Array(nd).fill(1);
    const outPad = attr<number[]>(node, 'output_padding') ?? new Array(nd).fill(0);
    let pads = attr<number[]>(node, 'pads') ?? new Array(2 * nd).fill(0);
    const autoPad = attr(node, 'auto_pad', 'NOTSET');
    const full = spatial.map((s, i) => strides[i]! * (s - 1) + outPad[i]! + (kernel[i]! - 1) * dil[i]! + 1);
    const requested = attr<number[]>(node, 'output_shape');
    if (requested || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const target = requested ? requested.slice(-nd) : spatial.map((s, i) => s * strides[i]!);
      pads = new Array(2 * nd).fill(0);
      full.forEach((f, i) => {
        const total = f - target[i]!;
        pads[i] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
        pads[i + nd] = total - pads[i]!;
      });
    }
    const outSpatial = full.map((f, i) => f - pads[i]! - pads[i + nd]!);
    const inSp = sizeOf(spatial), outSp = sizeOf(outSpatial), kn = sizeOf(kernel);
    const inStrides = stridesOf(spatial);
    return [ctx.linear([N, M, ...outSpatial], [x], (o, add) => {
      const n = Math.floor(o / (M * outSp)), m = Math.floor(o / outSp) % M, pos = unravel(o % outSp, outSpatial);
      const g = Math.floor(m / Mg), mg = m % Mg;
      for (let kf = 0; kf < kn; kf++) {
        const k = unravel(kf, kernel);
        let flat = 0, ok = true;
        for (let d = 0; d < nd; d++) {
          const t = pos[d]! + pads[d]! - k[d]! * dil[d]!;
          if (t < 0 || t % strides[d]! !== 0 || t / strides[d]! >= spatial[d]!) { ok = false; break; }
          flat += (t / strides[d]!) * inStrides[d]!;
        }
        if (!ok) continue;
        for (let c = 0; c < Cg; c++) {
          const ci = g * Cg + c;
          add(0, (n * C + ci) * inSp + flat, w.data[(ci * Mg + mg) * kn + kf]!);
        }
      }
      return b ? b.data[m]! : 0;
    })];
  },
};
