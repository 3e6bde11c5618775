// The small trainer every demo model uses: a one-hidden-layer ReLU MLP, Adam over mini-batches,
// softmax cross-entropy (classifiers) or squared error (regressors). Plain TypeScript and a
// seeded PRNG, so `npm run train -w models` reproduces the committed ONNX files byte for byte.

/** mulberry32: a small seeded PRNG so training (and the simulated datasets) are reproducible. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller) from `rand`. */
export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export type MlpParams = { w1: number[][]; b1: number[]; w2: number[][]; b2: number[] };

export type TrainOptions = {
  hidden: number;
  /** output width: classes for 'softmax', values for 'mse' */
  outputs: number;
  loss: 'softmax' | 'mse';
  epochs: number;
  /** seeds the weight initialisation and the shuffles */
  rand: () => number;
  lr?: number;
  batch?: number;
};

/** Forward pass: hidden activations (after ReLU), pre-activations and outputs. */
export function forward(p: MlpParams, x: readonly number[]): { pre: number[]; h: number[]; z: number[] } {
  const pre = p.w1.map((row, o) => row.reduce((s, w, i) => s + w * x[i]!, p.b1[o]!));
  const h = pre.map((v) => Math.max(0, v));
  const z = p.w2.map((row, o) => row.reduce((s, w, i) => s + w * h[i]!, p.b2[o]!));
  return { pre, h, z };
}

/**
 * Trains an `inputs-hidden-outputs` MLP. `Y[i]` is the class index for 'softmax' and the
 * target vector for 'mse'. Glorot-uniform initialisation, zero biases.
 */
export function trainMlp(X: readonly (readonly number[])[], Y: readonly (number | readonly number[])[], o: TrainOptions): MlpParams {
  const { rand } = o;
  const inputs = X[0]!.length;
  const init = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rand() * 2 - 1) * Math.sqrt(6 / (rows + cols))));
  const params: MlpParams = { w1: init(o.hidden, inputs), b1: new Array(o.hidden).fill(0), w2: init(o.outputs, o.hidden), b2: new Array(o.outputs).fill(0) };
  const flat = (p: MlpParams) => [p.w1, p.w2].flatMap((m) => m.map((r) => r)).concat([p.b1, p.b2]);
  const moments = flat(params).map((row) => ({ m: row.map(() => 0), v: row.map(() => 0) }));
  let step = 0;
  const lr = o.lr ?? 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, size = o.batch ?? 64;
  const order = X.map((_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    for (let start = 0; start < order.length; start += size) {
      const batch = order.slice(start, start + size);
      const g: MlpParams = { w1: params.w1.map((r) => r.map(() => 0)), b1: params.b1.map(() => 0), w2: params.w2.map((r) => r.map(() => 0)), b2: params.b2.map(() => 0) };
      for (const idx of batch) {
        const x = X[idx]!;
        const { pre, h, z } = forward(params, x);
        const y = Y[idx]!;
        let dz: number[];
        if (o.loss === 'softmax') {
          const mx = Math.max(...z);
          const e = z.map((v) => Math.exp(v - mx));
          const sum = e.reduce((a, b) => a + b, 0);
          dz = e.map((v, k) => (v / sum - (k === y ? 1 : 0)) / batch.length);
        } else {
          dz = z.map((v, k) => (2 * (v - (y as readonly number[])[k]!)) / batch.length);
        }
        dz.forEach((d, out) => { g.b2[out]! += d; h.forEach((hv, i) => (g.w2[out]![i]! += d * hv)); });
        const dh = h.map((_, i) => (pre[i]! > 0 ? dz.reduce((s, d, out) => s + d * params.w2[out]![i]!, 0) : 0));
        dh.forEach((d, out) => { g.b1[out]! += d; x.forEach((xv, i) => (g.w1[out]![i]! += d * xv)); });
      }
      step++;
      const grads = flat(g);
      flat(params).forEach((row, r) => row.forEach((_, c) => {
        const mo = moments[r]!;
        const gr = grads[r]![c]!;
        mo.m[c] = beta1 * mo.m[c]! + (1 - beta1) * gr;
        mo.v[c] = beta2 * mo.v[c]! + (1 - beta2) * gr * gr;
        row[c]! -= (lr * (mo.m[c]! / (1 - beta1 ** step))) / (Math.sqrt(mo.v[c]! / (1 - beta2 ** step)) + eps);
      }));
    }
  }
  return params;
}

/** The layers `buildMlpOnnx` takes for trained parameters. */
export const mlpLayers = (p: MlpParams) => [
  { weights: p.w1, bias: p.b1, relu: true },
  { weights: p.w2, bias: p.b2, relu: false },
];
