import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArtefactError, CompiledDirNotFoundError } from './errors/quantize.js';
import type { Layout } from './io/layout.js';
import type { Approximation } from './lower/approx.js';
import type { QuantizedModel } from './quantize/quantize.js';
import type { LinkFile } from './link.js';

/** File names inside a compiled-model directory (the `files` section of report.json). */
export const ARTEFACT_FILES = {
  circuit: 'circuit.circom',
  r1cs: 'circuit.r1cs',
  symbols: 'circuit.sym',
  wasm: 'circuit_js/circuit.wasm',
  zkey: 'circuit.zkey',
  verificationKey: 'verification_key.json',
  verifier: 'Verifier.sol',
  verifierBuild: 'verifier.json',
  model: 'model.json',
  report: 'report.json',
  /** the r1cs backend's list of eliminated labels (what its witness generator drops) */
  eliminated: 'circuit.eliminated.json',
} as const;

/** Which compiler wrote the constraint system: circom2, or Verity itself (src/r1cs). */
export type CircuitBackend = 'circom' | 'r1cs';

/** The files a backend writes (the circom source, symbols and witness wasm, or the eliminated labels). */
export function artefactFiles(backend: CircuitBackend): Partial<typeof ARTEFACT_FILES> {
  const { eliminated, circuit, symbols, wasm, ...common } = ARTEFACT_FILES;
  return backend === 'r1cs' ? { ...common, eliminated } : { ...common, circuit, symbols, wasm };
}

/** What `verity compile` writes to report.json. */
export type CompileReport = {
  model: string;
  modelCommitment: `0x${string}`;
  constraints: number;
  constraintsByPart: Record<string, number>;
  inputShape: number[];
  outputShape: number[];
  ops: string[];
  weightEncoding: 'constant' | 'signals' | 'committed';
  /**
   * With committed weights: the Poseidon commitment the registry pins (it seeds every input
   * commitment), and how the weights are laid out. model.json holds the weights themselves:
   * it goes to proving nodes, not to the public.
   */
  weights?: { commitment: string; coefficients: number; constants: number };
  /** inferences per proof, and whether the output is their mean */
  batch: { size: number; aggregate: 'none' | 'mean' };
  quantization: {
    inputBits: number; inputScale: number; outputBits: number; outputScale: number;
    /**
     * The floats each input value may take (from the calibration inputs): `quantizeInput`
     * refuses values outside it unless asked to clamp. `synthetic`: no calibration inputs were
     * given, so 16 pseudo-random inputs in [-1, 1] chose it ([-1, 0.99] or [-2, 1.98] at 8 bits).
     */
    inputRange: [number, number];
    calibration: 'samples' | 'synthetic';
    steps: { node: string; kind: string; outputs: number; constraints: number }[];
    /**
     * Elementwise functions proved through a piecewise-linear table (Exp, Log, Erf, Gelu...): the
     * window it covers (the calibrated input range plus 5%, or the function's default window
     * without calibration; outside it the output saturates), its segments, and the largest
     * |table - f| inside the window, computed at compile time.
     */
    approximations?: Approximation[];
  };
  layout: Layout;
  accuracy?: { samples: number; maxAbsError: number; outputRange: number; top1Agreement: number };
  /**
   * With `tolerance` (`--tolerance`): the widths the search chose (`quantize` with these
   * `weightBits`, `activationBits` and `nodes` gives the same model), their largest error on the
   * calibration inputs as a fraction of the output range, and every trial (widths, the model's
   * step constraints, error).
   */
  precision?: {
    tolerance: number; weightBits: number; activationBits: number;
    /** widths of single nodes in place of the two above, by the name of the node that requantises */
    nodes?: Readonly<Record<string, { weightBits?: number; activationBits?: number }>>;
    calibrationError: number;
    trials: { weightBits: number; activationBits: number; nodes?: Readonly<Record<string, { weightBits?: number; activationBits?: number }>>; constraints: number; error: number }[];
  };
  verifier?: { contract: string; bytecodeSize: number; limit: number; expectedVerifyGas: number };
  setup: { system: 'groth16'; ptauPower: number; ptau: 'dev' | 'ceremony'; insecure: boolean; contributions: { name: string; hash: string }[]; note: string };
  timings: { compileSeconds: number; setupSeconds: number };
  /**
   * A model compiled in parts and linked into one circuit (see `compileModel`'s `shard`): how
   * many parts (the head first), the constraints of each, and the link file naming each part's
   * witness generator and wire map.
   */
  shards?: { parts: number; constraintsPerPart: number[]; link: string };
  /** the constraint system's compiler (absent: circom, from before the r1cs backend) */
  backend?: CircuitBackend;
  files: Partial<typeof ARTEFACT_FILES>;
};

/** JSON.parse reviver for files written with {@link bigintReplacer} (model.json). */
export const bigintReviver = (_k: string, v: unknown) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v);
export const bigintReplacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

/** The compiled Solidity verifier: what a deployment needs. */
export type VerifierBuild = { abi: unknown[]; bytecode: `0x${string}`; deployedBytecode: `0x${string}` };

/** A compiled model read back from its directory; `link` for a model compiled in parts (report.shards). */
export type CompiledModel = { dir: string; report: CompileReport; model: QuantizedModel; path: (f: keyof typeof ARTEFACT_FILES) => string; link?: LinkFile };

/**
 * Opens a directory written by `verity compile`. Throws {@link CompiledDirNotFoundError} when
 * there is no such directory and {@link ArtefactError} naming the first missing file (for a model
 * compiled in parts, its link file and parts included).
 *
 * @example
 * const compiled = loadCompiled('build/spam')
 */
export function loadCompiled(dir: string): CompiledModel {
  const path = (f: keyof typeof ARTEFACT_FILES) => join(dir, ARTEFACT_FILES[f]);
  if (!existsSync(dir)) throw new CompiledDirNotFoundError({ dir });
  if (!existsSync(path('report'))) throw new ArtefactError({ dir, missing: ARTEFACT_FILES.report });
  const report = JSON.parse(readFileSync(path('report'), 'utf8')) as CompileReport;
  for (const f of ['model', report.backend === 'r1cs' ? 'eliminated' : 'wasm', 'zkey', 'verificationKey'] as const) {
    if (!existsSync(path(f))) throw new ArtefactError({ dir, missing: ARTEFACT_FILES[f] });
  }
  const model = JSON.parse(readFileSync(path('model'), 'utf8'), bigintReviver) as QuantizedModel;
  let link: LinkFile | undefined;
  if (report.shards) {
    if (!existsSync(join(dir, report.shards.link))) throw new ArtefactError({ dir, missing: report.shards.link });
    link = JSON.parse(readFileSync(join(dir, report.shards.link), 'utf8')) as LinkFile;
    const missing = link.parts.flatMap((p) => [p.wasm, p.map]).find((f) => !existsSync(join(dir, f)));
    if (missing) throw new ArtefactError({ dir, missing });
  }
  return { dir, report, model, path, link };
}
