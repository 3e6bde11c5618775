// The benchmark's model zoo: seeded weights (no MNIST or CIFAR ships on npm here; proving
// cost does not depend on the weight values), built as ONNX the way exporters write them.
import { buildMlpOnnx, buildOnnx, type DenseSpec } from '@verity/zkml';

export function seeded(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

function gaussian(seed: number) {
  const r = seeded(seed);
  return () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** Digit-like inputs: 28x28 in [0, 1], mostly background. */
export function imageSamples(count: number, seed = 7): number[][] {
  const r = seeded(seed);
  return Array.from({ length: count }, () => Array.from({ length: 784 }, () => (r() < 0.8 ? 0 : r())));
}

/** 784-56-10 MLP with He-initialised weights. */
export function mnistMlp(): Uint8Array {
  const g = gaussian(2024);
  const layer = (out: number, inp: number, relu: boolean): DenseSpec => ({
    weights: Array.from({ length: out }, () => Array.from({ length: inp }, () => g() * Math.sqrt(2 / inp))),
    bias: Array.from({ length: out }, () => g() * 0.01),
    relu,
  });
  return buildMlpOnnx({ inputSize: 784, layers: [layer(56, 784, true), layer(10, 56, false)] });
}

/** He-initialised weight tensors from one seeded stream: `t(dims, fanIn)`. */
function heTensors(seed: number) {
  const g = gaussian(seed);
  return (dims: number[], fanIn: number) => ({ dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => g() * Math.sqrt(2 / fanIn)) });
}

/** A graph node as buildOnnx takes it. */
const n = (op: string, inputs: string[], outputs: string[], attrs?: Record<string, number | number[]>) => ({ op, inputs, outputs, attrs });

/** A Conv's default attributes, spelled out as exporters (PyTorch's) write them: EZKL requires `strides`. */
const CONV = { strides: [1, 1], dilations: [1, 1], group: 1 };

/**
 * LeNet-5-class CNN on 1x28x28: conv 5x5x6 (pad 2) -> avg-pool 2 -> ReLU -> conv 5x5x16 ->
 * avg-pool 2 -> ReLU -> 400-120-84-10 with ReLU. Average pooling ("subsampling") as in
 * LeNet-5, placed before the activation so it composes with the convolution.
 */
export function lenet5(): Uint8Array {
  const t = heTensors(5);
  return buildOnnx({
    input: { name: 'image', shape: ['batch', 1, 28, 28] },
    output: { name: 'logits', shape: ['batch', 10] },
    nodes: [
      n('Conv', ['image', 'c1.w', 'c1.b'], ['c1'], { ...CONV, pads: [2, 2, 2, 2], kernel_shape: [5, 5] }),
      n('AveragePool', ['c1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
      n('Relu', ['p1'], ['r1']),
      n('Conv', ['r1', 'c2.w', 'c2.b'], ['c2'], { ...CONV, pads: [0, 0, 0, 0], kernel_shape: [5, 5] }),
      n('AveragePool', ['c2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
      n('Relu', ['p2'], ['r2']),
      n('Flatten', ['r2'], ['f']),
      n('Gemm', ['f', 'f1.w', 'f1.b'], ['h1'], { transB: 1 }), n('Relu', ['h1'], ['a1']),
      n('Gemm', ['a1', 'f2.w', 'f2.b'], ['h2'], { transB: 1 }), n('Relu', ['h2'], ['a2']),
      n('Gemm', ['a2', 'f3.w', 'f3.b'], ['logits'], { transB: 1 }),
    ],
    initializers: {
      'c1.w': t([6, 1, 5, 5], 25), 'c1.b': t([6], 100), 'c2.w': t([16, 6, 5, 5], 150), 'c2.b': t([16], 100),
      'f1.w': t([120, 400], 400), 'f1.b': t([120], 1e4), 'f2.w': t([84, 120], 120), 'f2.b': t([84], 1e4), 'f3.w': t([10, 84], 84), 'f3.b': t([10], 1e4),
    },
  });
}

/** Linear regression over 32 features (one Gemm). */
export function linearModel(): { onnx: Uint8Array; samples: number[][] } {
  const g = gaussian(11);
  const onnx = buildMlpOnnx({ inputSize: 32, layers: [{ weights: [Array.from({ length: 32 }, () => g() * 0.3)], bias: [0.1], relu: false }] });
  const r = seeded(12);
  return { onnx, samples: Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => r() * 2 - 1)) };
}

/**
 * A random forest as sklearn-onnx writes it (TreeEnsembleClassifier): `trees` trees of depth
 * `depth` over 30 features (a fraud-detection-sized model), 3 classes.
 */
export function forest(trees = 16, depth = 5): { onnx: Uint8Array; samples: number[][] } {
  const r = seeded(31);
  const a = { treeids: [] as number[], nodeids: [] as number[], features: [] as number[], modes: [] as string[], values: [] as number[], t: [] as number[], f: [] as number[] };
  const cls = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  for (let tr = 0; tr < trees; tr++) {
    const total = 2 ** (depth + 1) - 1;
    for (let id = 0; id < total; id++) {
      const leaf = id >= 2 ** depth - 1;
      a.treeids.push(tr); a.nodeids.push(id);
      a.features.push(leaf ? 0 : Math.floor(r() * 30)); a.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      a.values.push(leaf ? 0 : r() * 2 - 1); a.t.push(leaf ? 0 : 2 * id + 1); a.f.push(leaf ? 0 : 2 * id + 2);
      if (leaf) {
        const p = [r(), r(), r()];
        const sum = p[0]! + p[1]! + p[2]!;
        cls.treeids.push(tr, tr, tr); cls.nodeids.push(id, id, id); cls.ids.push(0, 1, 2); cls.weights.push(...p.map((v) => v / sum / trees));
      }
    }
  }
  const onnx = buildOnnx({
    input: { name: 'features', shape: ['batch', 30] },
    output: { name: 'label', int64: true },
    nodes: [{
      op: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', inputs: ['features'], outputs: ['label', 'probabilities'],
      attrs: {
        nodes_treeids: a.treeids, nodes_nodeids: a.nodeids, nodes_featureids: a.features, nodes_modes: a.modes, nodes_values: { floats: a.values },
        nodes_truenodeids: a.t, nodes_falsenodeids: a.f,
        class_treeids: cls.treeids, class_nodeids: cls.nodeids, class_ids: cls.ids, class_weights: { floats: cls.weights }, classlabels_int64s: [0, 1, 2],
      },
    }],
  });
  return { onnx, samples: Array.from({ length: 64 }, () => Array.from({ length: 30 }, () => r() * 2 - 1)) };
}

/**
 * A CNN for the scale benchmark (c1 = 6, c2 = 8: about 255k constraints; 12, 16: about 490k,
 * which circom2 cannot compile inside WebAssembly's 4 GiB): 1x28x28 ->
 * conv 3x3x`c1` (pad 1) -> ReLU -> max-pool 2 -> conv 3x3x`c2` (pad 1) -> ReLU -> max-pool 2 ->
 * 64 -> 10. Most constraints are the ReLU requantisations and the max-pool comparisons.
 */
export function largeCnn(c1 = 6, c2 = 8): Uint8Array {
  const t = heTensors(77);
  return buildOnnx({
    input: { name: 'image', shape: ['batch', 1, 28, 28] },
    output: { name: 'logits', shape: ['batch', 10] },
    nodes: [
      n('Conv', ['image', 'c1.w', 'c1.b'], ['c1'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }), n('Relu', ['c1'], ['r1']),
      n('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }),
      n('Conv', ['p1', 'c2.w', 'c2.b'], ['c2'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }), n('Relu', ['c2'], ['r2']),
      n('MaxPool', ['r2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] }),
      n('Flatten', ['p2'], ['f']),
      n('Gemm', ['f', 'f1.w', 'f1.b'], ['h1'], { transB: 1 }), n('Relu', ['h1'], ['a1']),
      n('Gemm', ['a1', 'f2.w', 'f2.b'], ['logits'], { transB: 1 }),
    ],
    initializers: {
      'c1.w': t([c1, 1, 3, 3], 9), 'c1.b': t([c1], 100), 'c2.w': t([c2, c1, 3, 3], 9 * c1), 'c2.b': t([c2], 100),
      'f1.w': t([64, c2 * 49], c2 * 49), 'f1.b': t([64], 1e4), 'f2.w': t([10, 64], 64), 'f2.b': t([10], 1e4),
    },
  });
}

/**
 * A VGG-style CNN for the multi-million-constraint scale benchmark: a `channels`x`size`x`size`
 * input, then per stage its 3x3 convolutions (pad 1, each followed by ReLU) and a 2x2 max-pool,
 * then flatten -> 64 -> 10. `stages` = [[16, 16], [32]]: conv 16, conv 16, pool, conv 32, pool.
 * Most constraints are the ReLU requantisations and the max-pool comparisons; narrow channels
 * keep the convolutions' fan-in (9 x input channels) and so the constraint system's terms small.
 */
export function scaleCnn(channels: number, size: number, stages: readonly (readonly number[])[]): Uint8Array {
  const t = heTensors(1717);
  const nodes: ReturnType<typeof n>[] = [];
  const initializers: Record<string, { dims: number[]; values: number[] }> = {};
  let x = 'image', cin = channels, side = size, k = 0;
  stages.forEach((convs, s) => {
    for (const cout of convs) {
      initializers[`c${k}.w`] = t([cout, cin, 3, 3], 9 * cin);
      initializers[`c${k}.b`] = t([cout], 100);
      nodes.push(n('Conv', [x, `c${k}.w`, `c${k}.b`], [`c${k}`], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }), n('Relu', [`c${k}`], [`r${k}`]));
      x = `r${k++}`;
      cin = cout;
    }
    nodes.push(n('MaxPool', [x], [`p${s}`], { kernel_shape: [2, 2], strides: [2, 2] }));
    x = `p${s}`;
    side /= 2;
  });
  const flat = cin * side * side;
  initializers['f1.w'] = t([64, flat], flat);
  initializers['f1.b'] = t([64], 1e4);
  initializers['f2.w'] = t([10, 64], 64);
  initializers['f2.b'] = t([10], 1e4);
  nodes.push(
    n('Flatten', [x], ['f']),
    n('Gemm', ['f', 'f1.w', 'f1.b'], ['h1'], { transB: 1 }), n('Relu', ['h1'], ['a1']),
    n('Gemm', ['a1', 'f2.w', 'f2.b'], ['logits'], { transB: 1 }),
  );
  return buildOnnx({ input: { name: 'image', shape: ['batch', channels, size, size] }, output: { name: 'logits', shape: ['batch', 10] }, nodes, initializers });
}

/** The 5-million-constraint target of issue 17 (a 2^23 setup): 3x64x64, conv 16, conv 16, pool, conv 16, conv 16, pool (5.9M constraints before the constraint cuts of issue 17 item 5 with one conv fewer; see BENCHMARKS.md). */
export const SCALE_5M = { channels: 3, size: 64, stages: [[16, 16], [16, 16]] } as const;

/** Smooth image-like inputs of `channels` x `side` x `side` values in [0, 1]: four random blobs, the same in every channel. */
export function blobSamples(count: number, channels: number, side: number, seed = 9): number[][] {
  const r = seeded(seed);
  return Array.from({ length: count }, () => {
    const blobs = Array.from({ length: 4 }, () => [r() * side, r() * side, 2 + r() * side / 4, r()] as const);
    return Array.from({ length: channels * side * side }, (_, i) => {
      const y = Math.floor(i / side) % side, x = i % side;
      return Math.min(1, blobs.reduce((a, [by, bx, w, h]) => a + h * Math.exp(-((y - by) ** 2 + (x - bx) ** 2) / (w * w)), 0));
    });
  });
}
