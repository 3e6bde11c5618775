import { BaseError } from '@verity/errors';

/** A layer whose worst-case integer accumulator would not fit the circuit's bit budget. */
export class QuantizationOverflowError extends BaseError {
  override name = 'QuantizationOverflowError';
  readonly node: string;
  readonly bits: number;
  readonly maxBits: number;
  constructor({ node, bits, maxBits }: { node: string; bits: number; maxBits: number }) {
    super(`Quantisation overflow at node "${node}": its accumulator needs ${bits} bits, the limit is ${maxBits}`, {
      details: 'Lower --weight-bits or --input-bits, or rescale the model so weights and inputs are smaller.',
    });
    this.node = node;
    this.bits = bits;
    this.maxBits = maxBits;
  }
}

/** A compiled-model directory that lacks an artefact or has an unreadable report. */
export class ArtefactError extends BaseError {
  override name = 'ArtefactError';
  readonly dir: string;
  readonly missing: string;
  constructor({ dir, missing }: { dir: string; missing: string }) {
    super(`Compiled model in "${dir}" is missing ${missing}`, { details: 'Run `verity compile` again for this model.' });
    this.dir = dir;
    this.missing = missing;
  }
}

/**
 * A compiled-model directory that does not exist (a mistyped path, or a model not compiled yet).
 *
 * @example
 * try { loadCompiled('build/spam') } catch (e) { if (e instanceof CompiledDirNotFoundError) console.error(e.dir) }
 */
export class CompiledDirNotFoundError extends BaseError {
  override name = 'CompiledDirNotFoundError';
  readonly dir: string;
  constructor({ dir }: { dir: string }) {
    super(`No compiled model at "${dir}": the directory does not exist`, { details: `Compile one there first: verity compile <model.onnx> --out ${dir}` });
    this.dir = dir;
  }
}

/**
 * An elementwise function (Log, Sqrt, Reciprocal, Pow) or a division whose input's calibrated
 * range reaches outside what it is defined on (a logarithm of values <= 0, a divisor that may be
 * zero): refused at compile time rather than proved with a clamp nobody asked for.
 */
export class FunctionDomainError extends BaseError {
  override name = 'FunctionDomainError';
  readonly node: string;
  readonly opType: string;
  readonly range: readonly [number, number];
  constructor({ node, opType, what, range, domain }: { node: string; opType: string; what: string; range: readonly [number, number]; domain: string }) {
    super(`${opType} at node "${node}": the calibrated range of its ${what}, [${range[0]}, ${range[1]}], is not inside its domain (${domain})`, {
      details: 'Calibrate (--calibration) with inputs the model really sees, or make the input provably inside the domain (Log(x + eps), Div by x*x + eps).',
    });
    this.node = node;
    this.opType = opType;
    this.range = range;
  }
}

/** A tolerance that is not a fraction of the output range the search can meet (NaN, negative, 1 or more). */
export class ToleranceError extends BaseError {
  override name = 'ToleranceError';
  readonly tolerance: number;
  constructor({ tolerance }: { tolerance: number }) {
    super(`Tolerance ${tolerance} is not a fraction of the output range between 0 and 1 (--tolerance takes a percentage above 0 and below 100)`, {
      details: 'Give the largest error the model may make on the calibration inputs, as a percentage of its output range: --tolerance 1 for 1%.',
    });
    this.tolerance = tolerance;
  }
}
