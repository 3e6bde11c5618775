// The example apps' proved models, and what the explorer shows about a compiled model: shared by
// `verity dev` (which compiles them) and `verity explorer` (which finds them on disk).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { cachedModelDir, cacheDir, readSamplesFile, type CompileReport } from '@verity/zkml';
import { spamModel } from '@verity/models/spam';
import { creditModel } from '@verity/models/credit';
import { signalModel } from '@verity/models/signal';
import { fraudModel } from '@verity/models/fraud';
import type { ExplorerModelInfo } from '@verity/explorer';

/** The demo's proved models: each app's model, trained by models/<name>/train.ts, with its registered name. */
export const PROVED_MODELS = {
  spam: { name: 'spam-assassin-mlp', ...spamModel },
  credit: { name: 'credit-score', ...creditModel },
  signal: { name: 'market-signal', ...signalModel },
  fraud: { name: 'fraud-screen', ...fraudModel },
};
export type ExampleModel = (typeof PROVED_MODELS)[keyof typeof PROVED_MODELS];

/** The options `verity dev` compiles an example model with (its calibration samples). */
export function exampleCompileOptions(m: ExampleModel) {
  return { calibration: readSamplesFile(readFileSync(m.calibration, 'utf8')) };
}

/**
 * What report.json tells about a compiled model: constraints, the verifier's expected gas, and
 * how closely the quantised circuit follows the float model on the calibration samples.
 */
export function reportInfo(report: CompileReport): ExplorerModelInfo {
  const a = report.accuracy;
  const accuracy = !a ? undefined : report.outputShape.at(-1)! > 1
    ? `agrees with the float model on ${(a.top1Agreement * 100).toFixed(1)}% of ${a.samples} samples`
    : `within ${a.maxAbsError.toPrecision(2)} of the float model on ${a.samples} samples`;
  return { constraints: report.constraints, verifyGas: report.verifier?.expectedVerifyGas, accuracy };
}

/** An example model's details: its report's, its held-out accuracy from training, its dataset, and its answers' labels. */
export function exampleModelInfo(m: ExampleModel, report: CompileReport): ExplorerModelInfo {
  const metrics = m.metrics();
  const accuracy = metrics.quantizedAccuracyHeldOut !== undefined ? `held-out accuracy ${metrics.quantizedAccuracyHeldOut}` : `held-out MAE ${metrics.quantizedMaeHeldOut}`;
  return { ...reportInfo(report), accuracy, source: String(metrics.dataset), answer: m.answer };
}

/**
 * Model details for `verity explorer`, by registered commitment (report.json's
 * `modelCommitment`): every compiled model in `dirs` and in verity's compile cache, and the
 * example apps' models (as `verity dev` compiles them) with their labels and held-out accuracy.
 */
export function findModelInfo(dirs: string[]): Record<Hex, ExplorerModelInfo> {
  const found: Record<Hex, ExplorerModelInfo> = {};
  const report = (dir: string) => (existsSync(join(dir, 'report.json')) ? JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CompileReport : undefined);
  const cache = join(cacheDir(), 'models');
  const cached = existsSync(cache) ? readdirSync(cache).map((d) => join(cache, d)) : [];
  for (const dir of [...cached, ...dirs]) {
    const r = report(dir);
    if (r) found[r.modelCommitment as Hex] = reportInfo(r);
  }
  for (const [key, m] of Object.entries(PROVED_MODELS)) {
    const r = report(cachedModelDir(key, readFileSync(m.path), exampleCompileOptions(m)));
    if (r) found[r.modelCommitment as Hex] = exampleModelInfo(m, r);
  }
  return found;
}
