import { BaseError } from '@verity/errors';
import { AGREED_FALLBACK } from './compile.js';

/** The file is not a readable ONNX model (bad protobuf, missing graph, bad tensor). */
export class MalformedModelError extends BaseError {
  override name = 'MalformedModelError';
  readonly reason: string;
  constructor({ reason, cause }: { reason: string; cause?: unknown }) {
    super(`Malformed ONNX model: ${reason}`, { cause });
    this.reason = reason;
  }
}

/** An ONNX operator the compiler cannot turn into a circuit. */
export class UnsupportedOperatorError extends BaseError {
  override name = 'UnsupportedOperatorError';
  readonly node: string;
  readonly opType: string;
  constructor({ node, opType, reason }: { node: string; opType: string; reason?: string }) {
    super(`Unsupported ONNX operator ${opType} at node "${node}"${reason ? `: ${reason}` : ''}`, {
      details:
        'Proved mode supports the operators listed in the README (OPERATORS in @verity/zkml). ' +
        `Rewrite the model with supported operators, or ${AGREED_FALLBACK}.`,
    });
    this.node = node;
    this.opType = opType;
  }
}

/** A tensor dimension that is not a fixed number (other than a leading batch dimension). */
export class DynamicShapeError extends BaseError {
  override name = 'DynamicShapeError';
  readonly tensor: string;
  readonly dim: number;
  constructor({ tensor, dim }: { tensor: string; dim: number }) {
    super(`Dynamic shape: dimension ${dim} of "${tensor}" has no fixed size`, {
      details: 'Circuits have fixed shapes: export the model with static input dimensions.',
    });
    this.tensor = tensor;
    this.dim = dim;
  }
}

/** Shapes that do not line up between two connected operators. */
export class ShapeMismatchError extends BaseError {
  override name = 'ShapeMismatchError';
  readonly node: string;
  readonly expected: number[];
  readonly got: number[];
  constructor({ node, expected, got }: { node: string; expected: number[]; got: number[] }) {
    super(`Shape mismatch at node "${node}": expected [${expected}], got [${got}]`);
    this.node = node;
    this.expected = expected;
    this.got = got;
  }
}

/** A batch was requested but the model's input has a fixed leading dimension of another size. */
export class BatchDimensionError extends BaseError {
  override name = 'BatchDimensionError';
  readonly tensor: string;
  constructor({ tensor, size, batch }: { tensor: string; size: number; batch: number }) {
    super(`Cannot batch ${batch} inferences: input "${tensor}" has a fixed leading dimension of ${size}`, {
      details: 'Export the model with a dynamic batch axis (e.g. torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}})).',
    });
    this.tensor = tensor;
  }
}

/**
 * A tensor with more elements than the compiler accepts (a declared input or output, an
 * initializer, a constant or an operator's result), refused before anything is allocated
 * for it: a circuit needs at least one term per element, so such a model cannot be proved.
 */
export class TensorTooLargeError extends BaseError {
  override name = 'TensorTooLargeError';
  readonly tensor: string;
  readonly shape: number[];
  readonly cap: number;
  constructor({ tensor, shape, cap }: { tensor: string; shape: number[]; cap: number }) {
    super(`Tensor "${tensor}" has shape [${shape}] (${shape.reduce((a, b) => a * b, 1)} elements), above the cap of ${cap} elements per tensor`, {
      details: `No circuit of that size can be set up or proved. If the shape is what the model really uses, ${AGREED_FALLBACK}.`,
    });
    this.tensor = tensor;
    this.shape = shape;
    this.cap = cap;
  }
}

/**
 * A scikit-learn classifier exported with skl2onnx's default ZipMap: its probabilities are a
 * list of {class: probability} maps, not a tensor, so no circuit can output them.
 */
export class ZipMapError extends BaseError {
  override name = 'ZipMapError';
  readonly node: string;
  constructor({ node }: { node: string }) {
    super(`ZipMap at node "${node}": the probabilities are a list of {class: probability} maps, not a tensor`, {
      details:
        "Export the classifier without ZipMap: skl2onnx.to_onnx(model, X, options={id(model): {'zipmap': False}}) " +
        '(tools/sklearn/export.py does), then prove the "probabilities" output with --output probabilities, or the label (the first output).',
    });
    this.node = node;
  }
}

/** `--output` names a tensor that is not one of the graph's outputs. */
export class UnknownOutputError extends BaseError {
  override name = 'UnknownOutputError';
  readonly output: string;
  readonly outputs: string[];
  constructor({ output, outputs }: { output: string; outputs: string[] }) {
    super(`The model has no output "${output}"`, { details: `Its outputs are ${outputs.map((o) => `"${o}"`).join(', ')}; one of them is proved (the first by default).` });
    this.output = output;
    this.outputs = outputs;
  }
}
