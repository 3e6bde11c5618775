import { add } from './add.js';
import { argmax } from './argmax.js';
import { batchNorm } from './batchNorm.js';
import { bitShift, bitwise, bitwiseNot, isNaN } from './bitwise.js';
import { clip } from './clip.js';
import { compare, equal } from './compare.js';
import { concat } from './concat.js';
import { constant } from './constant.js';
import { constantOfShape } from './constantOfShape.js';
import { conv } from './conv.js';
import { convTranspose } from './convTranspose.js';
import { div } from './div.js';
import { gather } from './gather.js';
import { gemm } from './gemm.js';
import { identity } from './identity.js';
import { depthToSpace, expand, gatherElements, gatherND, oneHot, range, scatter, size, tile, trilu } from './indexing.js';
import { layerNorm } from './layerNorm.js';
import { leakyRelu, prelu } from './leakyRelu.js';
import { arrayFeatureExtractor, binarizer, linearClassifier, linearRegressor, normalizer, scaler } from './linearModel.js';
import { logic, not } from './logic.js';
import { matmul } from './matmul.js';
import { mul } from './mul.js';
import { instanceNorm } from './normalization.js';
import type { OpDef } from './op.js';
import { pad } from './pad.js';
import { recurrent } from './recurrent.js';
import { averagePool, globalPool, maxPool } from './pool.js';
import { reduceMax } from './reduceMax.js';
import { reduceSum } from './reduceSum.js';
import { relu } from './relu.js';
import { resize } from './resize.js';
import { flatten, reshape, squeeze } from './reshape.js';
import { sigmoid } from './sigmoid.js';
import { slice } from './slice.js';
import { split } from './split.js';
import { softmax } from './softmax.js';
import { tanh } from './tanh.js';
import { topK } from './topK.js';
import { transpose } from './transpose.js';
import { treeEnsembleClassifier, treeEnsembleRegressor } from './treeEnsemble.js';
import { where } from './where.js';
import { absNeg, hard, rounding, sign, unary } from './unary.js';
import { minMax } from './minMax.js';
import { mod } from './mod.js';
import { svmRegressor } from './svm.js';
import { pow } from './pow.js';
import { logSoftmax, reduceMore } from './reduceMore.js';

const ALL: OpDef[] = [
  add, argmax, arrayFeatureExtractor, batchNorm, binarizer, clip, compare, concat, constant, conv, convTranspose, div, equal, gather, gemm, identity,
  layerNorm, leakyRelu, linearClassifier, linearRegressor, logic, not, prelu, matmul, mul, normalizer, pad, averagePool, globalPool, maxPool, reduceMax, reduceSum,
  relu, flatten, reshape, scaler, squeeze, sigmoid, slice, softmax, tanh, transpose, treeEnsembleClassifier,
  treeEnsembleRegressor, where,
  constantOfShape, recurrent, split,
  bitShift, bitwise, bitwiseNot, isNaN, depthToSpace, expand, gatherElements, gatherND, oneHot, range, scatter, size, tile, trilu,
  instanceNorm, resize, topK,
  unary, absNeg, sign, hard, rounding, pow, reduceMore, logSoftmax, minMax, mod, svmRegressor,
];

/** Operators proved mode supports, by ONNX op type (default domain). */
export const OPERATORS: ReadonlyMap<string, OpDef> = new Map(ALL.flatMap((op) => op.types.map((t) => [t, op] as const)));

export type { OpDef } from './op.js';
