import { ravel, sizeOf, stridesOf, unravel } from '../ir/tensor.js';
import type { OpDef } from './op.js';
import { attr, need, shapeError, staticInput, unsupported } from './op.js';

type Tap = [index: number, weight: number];

/** Input coordinate of output coordinate `x` along one axis (ONNX Resize's coordinate_transformation_mode). */
function sourceCoordinate(mode: string, x: number, scale: number, inLen: number, outLen: number): number | undefined {
  switch (mode) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'asymmetric': return x / scale;
    case 'align_corners': return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    default: return undefined;
  }
}

const NEAREST: Record<string, (v: number) => number> = {
  round_prefer_floor: (v) => (v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v)),
  round_prefer_ceil: (v) => Math.round(v),
  floor: Math.floor,
  ceil: Math.ceil,
};

/**
 * Resize (opset 10+) and Upsample with constant scales or sizes, modes nearest and linear
 * (n-linear over every resized axis), for the coordinate modes half_pixel, pytorch_half_pixel,
 * asymmetric and align_corners. Every output element is a constant-weight combination of input
 * elements: wiring for nearest, linear for linear, no constraint either way. Cubic, antialias,
 * tf_crop_and_resize and computed scales are refused.
 */
export const resize: OpDef = {
  types: ['Resize', 'Upsample'],
  run(ctx, node, inputs, opset) {
    const x = need(node, inputs, 0);
    const rank = x.shape.length;
    const upsample = node.opType === 'Upsample';
    const mode = attr(node, 'mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') throw unsupported(node, `mode "${mode}" (nearest and linear are supported)`);
    if (attr(node, 'antialias', 0) !== 0) throw unsupported(node, 'antialias');
    if (node.attributes.axes !== undefined) throw unsupported(node, 'the axes attribute');
    let scales: number[];
    let shape: number[];
    const scalesInput = upsample ? 1 : opset >= 11 ? 2 : 1;
    const sizes = !upsample && opset >= 11 && inputs[3] ? Array.from(staticInput(ctx, node, inputs, 3, 'sizes').data) : undefined;
    if (sizes) {
      shape = sizes;
      scales = sizes.map((d, i) => d / x.shape[i]!);
    } else {
      const s = inputs[scalesInput] ? Array.from(staticInput(ctx, node, inputs, scalesInput, 'scales').data) : attr<number[]>(node, 'scales');
      if (!s || s.length === 0) throw unsupported(node, 'neither scales nor sizes is given');
      scales = s;
      shape = x.shape.map((d, i) => Math.floor(d * scales[i]!));
    }
    if (shape.length !== rank || shape.some((d) => !Number.isInteger(d) || d < 1)) throw shapeError(node, x.shape, shape);
    const coord = upsample || opset < 11 ? 'asymmetric' : attr(node, 'coordinate_transformation_mode', 'half_pixel');
    const nearest = NEAREST[upsample || opset < 11 ? 'floor' : attr(node, 'nearest_mode', 'round_prefer_floor')];
    if (!nearest) throw unsupported(node, `nearest_mode "${attr(node, 'nearest_mode', '')}"`);
    // taps[axis][outCoord]: the input coordinates and weights that element reads along that axis
    const taps: Tap[][][] = shape.map((outLen, a) => Array.from({ length: outLen }, (_, o) => {
      const inLen = x.shape[a]!;
      const src = sourceCoordinate(coord, o, scales[a]!, inLen, outLen);
      if (src === undefined) throw unsupported(node, `coordinate_transformation_mode "${coord}"`);
      if (mode === 'nearest') return [[Math.min(inLen - 1, Math.max(0, nearest(src))), 1]];
      const v = Math.min(inLen - 1, Math.max(0, src)), i0 = Math.floor(v), i1 = Math.min(inLen - 1, i0 + 1), w = v - i0;
      return w === 0 || i0 === i1 ? [[i0, 1]] : [[i0, 1 - w], [i1, w]];
    }));
    const xs = stridesOf(x.shape);
    if (mode === 'nearest') return [ctx.select(shape, [x], (o) => [0, ravel(unravel(o, shape).map((v, a) => taps[a]![v]![0]![0]), xs)])];
    if (sizeOf(shape) * 2 ** rank > 1 << 24) throw unsupported(node, 'too many interpolation terms');
    return [ctx.linear(shape, [x], (o, add) => {
      let terms: Tap[] = [[0, 1]];
      unravel(o, shape).forEach((v, a) => {
        terms = terms.flatMap(([f, w]) => taps[a]![v]!.map(([i, t]) => [f + i * xs[a]!, w * t] as Tap));
      });
      for (const [f, w] of terms) add(0, f, w);
      return 0;
    })];
  },
};
