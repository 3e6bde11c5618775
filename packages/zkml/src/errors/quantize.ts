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
