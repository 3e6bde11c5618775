import type { Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { OnnxNode } from '../onnx/load.js';
import type { OpDef } from './op.js';
import { attr, need, unsupported } from './op.js';
import { argmaxLabel, postTransform, thresholdLabel } from './classifier.js';
import { SIGMOID } from './sigmoid.js';

type TreeNode = { tree: number; id: number; feature: number; mode: string; value: number; t: number; f: number };

/**
 * Decision-tree ensembles from `ai.onnx.ml` (what sklearn-onnx writes for decision trees,
 * random forests and gradient boosting). Every branch is one exact comparison of an input
 * with its threshold (a `sign` step of the input's bits); the indicator of reaching a node is
 * the product of its parent's indicator and the branch bit (one constraint); a score is the
 * linear sum of the reached leaves' weights. Comparisons are exact on the quantised input.
 */
function parse(node: OnnxNode) {
  const ints = (k: string) => attr<number[]>(node, k) ?? [];
  const treeIds = ints('nodes_treeids'), nodeIds = ints('nodes_nodeids'), features = ints('nodes_featureids');
  const modes = (attr<string[]>(node, 'nodes_modes') ?? []) as string[];
  const values = attr<number[]>(node, 'nodes_values') ?? [];
  const trueIds = ints('nodes_truenodeids'), falseIds = ints('nodes_falsenodeids');
  if (modes.length !== nodeIds.length) throw unsupported(node, 'nodes_modes and nodes_nodeids differ in length');
  const nodes = new Map<string, TreeNode>();
  nodeIds.forEach((id, i) => {
    const mode = modes[i]!;
    if (!['LEAF', 'BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT'].includes(mode)) throw unsupported(node, `branch mode ${mode} (LEQ, LT, GTE and GT are supported)`);
    nodes.set(`${treeIds[i]}:${id}`, { tree: treeIds[i]!, id, feature: features[i]!, mode, value: values[i] ?? 0, t: trueIds[i]!, f: falseIds[i]! });
  });
  return { nodes, trees: [...new Set(treeIds)] };
}

/** Reach indicators of every leaf, per row: leaf key -> [N] value (1 when the row reaches it). */
function leafIndicators(ctx: Context, node: OnnxNode, x: Value): Map<string, { value: Value; col: number }> {
  const { nodes, trees } = parse(node);
  if (x.shape.length !== 2) throw unsupported(node, `input must be [N, features], got [${x.shape}]`);
  const [N, F] = x.shape as [number, number];
  const branches = [...nodes.values()].filter((n) => n.mode !== 'LEAF');
  for (const b of branches) if (b.feature >= F) throw unsupported(node, `feature ${b.feature} outside the ${F} inputs`);
  // One sign step over every branch and row: [t - x >= 0] for LEQ/GT, [x - t >= 0] for GTE/LT.
  const towardX = (b: TreeNode) => (b.mode === 'BRANCH_GTE' || b.mode === 'BRANCH_LT' ? 1 : -1);
  const K = branches.length;
  const signs = ctx.requant(ctx.linear([N, K], [x], (o, add) => {
    const n = Math.floor(o / K), b = branches[o % K]!;
    add(0, n * F + b.feature, towardX(b));
    return -towardX(b) * b.value;
  }), 'sign');
  const inverted = (b: TreeNode) => b.mode === 'BRANCH_LT' || b.mode === 'BRANCH_GT';
  const bit = ctx.linear([N, K], [signs], (o, add) => { const b = branches[o % K]!; add(0, o, inverted(b) ? -1 : 1); return inverted(b) ? 1 : 0; });
  const col = new Map(branches.map((b, k) => [`${b.tree}:${b.id}`, k]));

  // Breadth first, one product step per depth: reach(true child) = reach * bit, reach(false child) = reach - reach * bit.
  const leaves = new Map<string, { value: Value; col: number }>();
  const one = ctx.linear([N, 1], [], () => 1);
  let level: { key: string; value: Value; col: number }[] = trees.map((t) => {
    const rootId = Math.min(...[...nodes.values()].filter((n) => n.tree === t).map((n) => n.id));
    return { key: `${t}:${rootId}`, value: one, col: 0 };
  });
  for (let depth = 0; level.length > 0 && depth < 64; depth++) {
    const inner = level.filter((l) => nodes.get(l.key)?.mode !== 'LEAF');
    for (const l of level) if (nodes.get(l.key)?.mode === 'LEAF') leaves.set(l.key, { value: l.value, col: l.col });
    for (const l of level) if (!nodes.has(l.key)) throw unsupported(node, `tree node ${l.key} is referenced but not defined`);
    if (inner.length === 0) break;
    const m = inner.length;
    const sources = [...new Set(inner.map((l) => l.value))];
    const reach = ctx.select([N, m], sources, (o) => { const n = Math.floor(o / m), l = inner[o % m]!; const src = sources.indexOf(l.value); return [src, n * sources[src]!.shape[1]! + l.col]; });
    const bits = ctx.select([N, m], [bit], (o) => [0, Math.floor(o / m) * K + col.get(inner[o % m]!.key)!]);
    const taken = ctx.product(reach, bits);
    const notTaken = ctx.linear([N, m], [reach, taken], (o, add) => { add(0, o, 1); add(1, o, -1); return 0; });
    level = inner.flatMap((l, j) => {
      const t = nodes.get(l.key)!;
      return [{ key: `${t.tree}:${t.t}`, value: taken, col: j }, { key: `${t.tree}:${t.f}`, value: notTaken, col: j }];
    });
  }
  return leaves;
}

/** Scores [N, C]: base + sum of reached leaves' weights (divided by the tree count for AVERAGE). */
function scores(ctx: Context, node: OnnxNode, x: Value, prefix: 'target' | 'class', C: number): Value {
  const leaves = leafIndicators(ctx, node, x);
  const ints = (k: string) => attr<number[]>(node, k) ?? [];
  const treeIds = ints(`${prefix}_treeids`), nodeIds = ints(`${prefix}_nodeids`), ids = ints(`${prefix}_ids`);
  const weights = attr<number[]>(node, `${prefix}_weights`) ?? [];
  const base = attr<number[]>(node, 'base_values') ?? [];
  const aggregate = attr(node, 'aggregate_function', 'SUM');
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE') throw unsupported(node, `aggregate_function ${aggregate} (SUM and AVERAGE are supported)`);
  const div = aggregate === 'AVERAGE' ? new Set(treeIds).size : 1;
  const N = x.shape[0]!;
  const entries = treeIds.map((t, i) => ({ leaf: leaves.get(`${t}:${nodeIds[i]}`), c: ids[i]!, w: weights[i]! / div }));
  if (entries.some((e) => !e.leaf)) throw unsupported(node, 'a weight refers to a node that is not a reachable leaf');
  const sources = [...new Set(entries.map((e) => e.leaf!.value))];
  return ctx.linear([N, C], sources, (o, add) => {
    const n = Math.floor(o / C), c = o % C;
    for (const e of entries) if (e.c === c) { const s = sources.indexOf(e.leaf!.value); add(s, n * sources[s]!.shape[1]! + e.leaf!.col, e.w); }
    return base[c] ?? 0;
  });
}

export const treeEnsembleRegressor: OpDef = {
  types: ['TreeEnsembleRegressor'],
  run(ctx, node, inputs) {
    const C = attr(node, 'n_targets', 1);
    const y = scores(ctx, node, need(node, inputs, 0), 'target', C);
    const post = attr(node, 'post_transform', 'NONE');
    if (post === 'NONE') return [y];
    if (post === 'LOGISTIC') return [ctx.pwl(y, SIGMOID)];
    throw unsupported(node, `post_transform ${post} (NONE and LOGISTIC are supported for regressors)`);
  },
};

export const treeEnsembleClassifier: OpDef = {
  types: ['TreeEnsembleClassifier'],
  run(ctx, node, inputs) {
    const labels = attr<number[]>(node, 'classlabels_int64s');
    if (!labels) throw unsupported(node, 'string class labels (classlabels_strings); export integer labels');
    const C = labels.length;
    if (C === 2) return binaryClassifier(ctx, node, need(node, inputs, 0), labels);
    const ids = new Set(attr<number[]>(node, 'class_ids') ?? []);
    if (ids.size < C) throw unsupported(node, `class weights cover ${ids.size} of ${C} classes (the one-score binary form is not supported)`);
    const x = need(node, inputs, 0);
    const s = scores(ctx, node, x, 'class', C);
    // The label is the argmax of the scores (every post_transform is increasing per row).
    const label = argmaxLabel(ctx, node, s, labels);
    const post = attr(node, 'post_transform', 'NONE');
    return [label, ctx.needs(node.outputs[1]) ? postTransform(ctx, node, s, post) : s];
  },
};

/**
 * Two classes follow onnxruntime's binary rule, not the argmax of two scores. With weights
 * for one class only (`binary_case`, what skl2onnx writes for a binary GradientBoostingClassifier),
 * the score S is that class's sum plus the one base value, and the label is `labels[1]` when S is
 * above 0.5 (all weights positive) or above 0 (otherwise); the probabilities are `[1 - S, S]`
 * (all weights positive, post_transform NONE) or `[sigmoid(-S), sigmoid(S)]` (LOGISTIC). With
 * weights for both classes, the label is 1 when the class-1 score is above 0, else 0
 * (onnxruntime returns these raw values, not the labels); that needs a class-1 weight on every
 * leaf, or which score it reads would depend on the path taken. Other base_values and
 * probabilities are refused (onnxruntime mixes the two classes there).
 */
function binaryClassifier(ctx: Context, node: OnnxNode, x: Value, labels: number[]): Value[] {
  const classIds = attr<number[]>(node, 'class_ids') ?? [];
  const weights = attr<number[]>(node, 'class_weights') ?? [];
  const base = attr<number[]>(node, 'base_values') ?? [];
  const classes = [...new Set(classIds)];
  const single = classes.length === 1;
  if (base.length > 0 && !(single && classes[0] === 0 && base.length === 1)) throw unsupported(node, 'base_values on a two-class classifier other than one base value with class-0 weights (onnxruntime combines them in a way not reproduced); fold them into the leaf weights');
  if (!single) {
    const treeIds = attr<number[]>(node, 'class_treeids') ?? [], nodeIds = attr<number[]>(node, 'class_nodeids') ?? [];
    const withClass1 = new Set(classIds.flatMap((c, i) => (c === 1 ? [`${treeIds[i]}:${nodeIds[i]}`] : [])));
    const leaves = [...parse(node).nodes.values()].filter((n) => n.mode === 'LEAF');
    if (leaves.some((l) => !withClass1.has(`${l.tree}:${l.id}`))) throw unsupported(node, 'a leaf without a class-1 weight in a two-class classifier (onnxruntime then reads the class-0 score on some paths)');
  }
  const scoreClass = single ? classes[0]! : 1;
  const positive = weights.every((w) => w >= 0);
  const threshold = single && positive ? 0.5 : 0;
  const s = scores(ctx, node, x, 'class', 2);
  const [lo, hi] = single ? [labels[0]!, labels[1]!] : [0, 1];
  const N = x.shape[0]!;
  const label = thresholdLabel(ctx, s, N, (n) => n * 2 + scoreClass, threshold, lo, hi);
  if (!ctx.needs(node.outputs[1])) return [label];
  const post = attr(node, 'post_transform', 'NONE');
  if (!single || (positive ? post !== 'NONE' : post !== 'LOGISTIC')) throw unsupported(node, `the probabilities of a two-class classifier with ${single ? 'one scored class' : 'two scored classes'}, ${positive ? 'positive' : 'mixed'} weights and post_transform ${post} (supported: one scored class with positive weights and NONE, or mixed weights and LOGISTIC; the label is supported)`);
  // [1 - S, S], or [-S, S] through the sigmoid.
  const pair = ctx.linear([N, 2], [s], (o, add) => { add(0, Math.floor(o / 2) * 2 + scoreClass, o % 2 === 0 ? -1 : 1); return positive && o % 2 === 0 ? 1 : 0; });
  return [label, positive ? pair : postTransform(ctx, node, pair, post)];
}
