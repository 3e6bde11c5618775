import { checkTensorSize, sizeOf, stridesOf, unravel } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import { attr, need, staticInput, unsupported } from './op.js';

/** Batch and channel sizes of an [N, C, ...spatial] input, or a typed refusal naming the node. */
export function spatialInput(node: OnnxNode, shape: readonly number[]): [number, number] {
  if (shape.length < 3) throw unsupported(node, `input must be [N, C, ...spatial], got [${shape}]`);
  return [shape[0]!, shape[1]!];
}

/** The operands of Conv and ConvTranspose: input, constant weights and optional constant bias, and the group count. */
export function convOperands(ctx: Context, node: OnnxNode, inputs: readonly (Value | undefined)[]) {
  const x = need(node, inputs, 0);
  const w = staticInput(ctx, node, inputs, 1, 'weights');
  const b = inputs[2] ? staticInput(ctx, node, inputs, 2, 'bias') : undefined;
  const [N, C] = spatialInput(node, x.shape);
  return { x, w, b, N, C, group: attr(node, 'group', 1) };
}

/** Spatial geometry of a sliding-window op (Conv, pools) over an [N, C, ...spatial] input. */
export type Window = {
  spatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  outSpatial: number[];
};

/**
 * Reads kernel_shape / strides / dilations / pads / auto_pad / ceil_mode and computes the
 * output size, as the ONNX operators define them.
 */
export function windowOf(node: OnnxNode, spatial: number[], kernel: number[]): Window {
  const n = spatial.length;
  const strides = attr<number[]>(node, 'strides') ?? new Array(n).fill(1);
  const dilations = attr<number[]>(node, 'dilations') ?? new Array(n).fill(1);
  const autoPad = attr(node, 'auto_pad', 'NOTSET');
  const ceil = attr(node, 'ceil_mode', 0) === 1;
  let pads = attr<number[]>(node, 'pads') ?? new Array(2 * n).fill(0);
  const eff = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * n).fill(0);
    spatial.forEach((s, i) => {
      const out = Math.ceil(s / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + eff[i]! - s);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    });
  } else if (autoPad === 'VALID') {
    pads = new Array(2 * n).fill(0);
  } else if (autoPad !== 'NOTSET') {
    throw unsupported(node, `auto_pad = ${autoPad}`);
  }
  const outSpatial = spatial.map((s, i) => {
    const span = s + pads[i]! + pads[i + n]! - eff[i]!;
    const o = (ceil ? Math.ceil(span / strides[i]!) : Math.floor(span / strides[i]!)) + 1;
    // With ceil_mode, a last window that starts inside the right padding is dropped.
    return ceil && (o - 1) * strides[i]! >= s + pads[i]! ? o - 1 : o;
  });
  if (outSpatial.some((o) => o <= 0)) throw unsupported(node, `window larger than the padded input [${spatial}]`);
  checkTensorSize(node.outputs[0] || node.name, outSpatial);
  return { spatial, kernel, strides, dilations, padBegin: pads.slice(0, n), outSpatial };
}

/**
 * Calls `visit(inputSpatialFlat, kernelFlat)` for each kernel position of output position
 * `outFlat` that falls inside the input (padding positions are skipped).
 */
export function forEachTap(w: Window, outFlat: number, visit: (inFlat: number, kFlat: number) => void): void {
  const o = unravel(outFlat, w.outSpatial);
  const inStrides = stridesOf(w.spatial);
  const kn = sizeOf(w.kernel);
  for (let kf = 0; kf < kn; kf++) {
    const k = unravel(kf, w.kernel);
    let flat = 0;
    let inside = true;
    for (let d = 0; d < k.length; d++) {
      const p = o[d]! * w.strides[d]! - w.padBegin[d]! + k[d]! * w.dilations[d]!;
      if (p < 0 || p >= w.spatial[d]!) { inside = false; break; }
      flat += p * inStrides[d]!;
    }
    if (inside) visit(flat, kf);
  }
}
