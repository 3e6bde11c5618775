// One model of the real-world suite in its own process (bench-realworld.ts kills it at its time
// limit): compile with the default r1cs backend and a Groth16 setup, prove the first held-out row,
// verify the proof, compare with onnxruntime; one JSON line (RealworldResult) on stdout.
// Usage: realworld-model.ts <model dir (tools/realworld/export.py's)> <scratch dir>
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError } from '@verity/errors';
import { compileModel, dequantizeOutput, inferQuantized, Prover, quantizeInput, releaseCurves, verifyProofFile } from '@verity/zkml';

/** What one model did, furthest stage first reached; `error` names a typed refusal or a crash. */
export type RealworldResult = {
  stage: 'compile' | 'prove' | 'verify' | 'compare';
  compiled: boolean; proved: boolean; verified: boolean; matched: boolean;
  error?: { name: string; typed: boolean; message: string; at: 'compile' | 'prove' | 'verify' };
  constraints?: number; compileMs?: number; proveMs?: number;
  /** the proved row: largest |proved − onnxruntime| over the tolerance (≤ 1 matches), or the labels */
  proved0?: { got: number[]; want: number[] };
  /** held-out rows on which the quantised program (what the circuit computes) matches onnxruntime */
  heldOut?: { matched: number; rows: number };
};

export type Meta = { source: string; dataset: string; estimator: string; task: 'classifier' | 'regressor' | 'transform'; output: string };

const argmax = (xs: readonly number[]) => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);

/**
 * Whether an output row matches onnxruntime's: a classifier's label (the label output itself, or
 * the largest score), otherwise every value within 1% of the output's largest magnitude on the
 * held-out rows (`scale`).
 */
export function matches(task: Meta['task'], got: readonly number[], want: readonly number[], scale: number): boolean {
  if (got.length !== want.length) return false;
  if (task === 'classifier') return got.length === 1 ? Math.round(got[0]!) === Math.round(want[0]!) : argmax(got) === argmax(want);
  return got.every((v, j) => Math.abs(v - want[j]!) <= 0.01 * scale + 1e-9);
}

const [modelDir, scratch] = process.argv.slice(2) as [string, string];
const meta = JSON.parse(readFileSync(join(modelDir, 'meta.json'), 'utf8')) as Meta;
const calibration = JSON.parse(readFileSync(join(modelDir, 'calibration.json'), 'utf8')) as number[][];
const { inputs, outputs } = JSON.parse(readFileSync(join(modelDir, 'test.json'), 'utf8')) as { inputs: number[][]; outputs: Record<string, number[][]> };
const want = outputs[meta.output]!;
const scale = Math.max(...want.flat().map(Math.abs));
const out = join(scratch, 'compiled');
const result: RealworldResult = { stage: 'compile', compiled: false, proved: false, verified: false, matched: false };
const fail = (e: unknown, at: 'compile' | 'prove' | 'verify') => {
  const typed = e instanceof BaseError;
  result.error = { name: e instanceof Error ? e.name : typeof e, typed, message: (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300), at };
};

try {
  const t0 = performance.now();
  // 16-bit inputs: 8 bits (the default) cannot carry 1% on features such as iris's 0.1–7.9.
  const report = await compileModel(readFileSync(join(modelDir, 'model.onnx')), { out, calibration, output: meta.output, inputBits: 16 });
  Object.assign(result, { compiled: true, stage: 'prove', constraints: report.constraints, compileMs: Math.round(performance.now() - t0) });
} catch (e) { fail(e, 'compile'); }

if (result.compiled) {
  let prover: Prover | undefined;
  try {
    prover = await Prover.load(out);
    const model = prover.compiled.model;
    let matched = 0;
    inputs.forEach((x, i) => {
      try { if (matches(meta.task, dequantizeOutput(model, inferQuantized(model, quantizeInput(model, x))), want[i]!, scale)) matched++; } catch { /* a row out of range does not match */ }
    });
    result.heldOut = { matched, rows: inputs.length };
    const t1 = performance.now();
    const file = await prover.prove({ input: inputs[0]! }, 1n);
    Object.assign(result, { proved: true, stage: 'verify', proveMs: Math.round(performance.now() - t1) });
    try {
      result.verified = await verifyProofFile(out, file);
      result.stage = 'compare';
      result.proved0 = { got: file.outputs, want: want[0]! };
      result.matched = result.verified && matches(meta.task, file.outputs, want[0]!, scale);
    } catch (e) { fail(e, 'verify'); }
  } catch (e) { fail(e, 'prove'); }
  await prover?.close();
}
await releaseCurves();
rmSync(out, { recursive: true, force: true });
console.log(JSON.stringify(result));
process.exit(0);
