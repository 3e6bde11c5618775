import { BaseError } from '@verity/errors';

/** An inference input whose number of values differs from the model's input shape. */
export class InputShapeError extends BaseError {
  override name = 'InputShapeError';
  readonly expected: number[];
  readonly got: number;
  constructor({ expected, got }: { expected: number[]; got: number }) {
    super(`Wrong input shape: the model takes [${expected}] (${expected.reduce((a, b) => a * b, 1)} values), got ${got} values`);
    this.expected = expected;
    this.got = got;
  }
}

/**
 * An input value that is not a finite number, an encoded value outside its range, or (`expected`
 * set) a value the model's integer or boolean input cannot hold.
 */
export class InputValueError extends BaseError {
  override name = 'InputValueError';
  readonly index: number;
  readonly value: unknown;
  readonly range?: readonly [bigint, bigint];
  readonly expected?: 'int' | 'bool';
  constructor({ index, value, range, expected }: { index: number; value: unknown; range?: readonly [bigint, bigint]; expected?: 'int' | 'bool' }) {
    super(range
      ? `Input value at index ${index} is ${String(value)}, outside the encoded range [${range[0]}, ${range[1]}]`
      : expected
        ? `Input value at index ${index} is ${String(value)}, but the model's input is ${expected === 'int' ? 'an integer tensor' : 'a boolean tensor (0 or 1)'}`
        : `Input value at index ${index} is not a finite number: ${JSON.stringify(value)}`);
    this.index = index;
    this.value = value;
    this.range = range;
    this.expected = expected;
  }
}

/**
 * A float input value outside the range the model was quantised for (set by its calibration
 * inputs at compile time). Saturating it silently would prove an answer the model does not
 * give for that input, so it is refused unless the caller opts in to clamping.
 */
export class InputRangeError extends BaseError {
  override name = 'InputRangeError';
  /** the feature's index in the flattened input */
  readonly index: number;
  readonly value: number;
  /** the smallest and largest float the model's input encoding represents */
  readonly range: readonly [number, number];
  constructor({ index, value, range }: { index: number; value: number; range: readonly [number, number] }) {
    super(`Input feature ${index} is ${value}, outside the range the model was quantised for [${range[0]}, ${range[1]}]`, {
      details:
        'The range comes from the calibration inputs given at compile time (quantization.inputRange in report.json). ' +
        'Compile the model again with --calibration samples that cover real inputs, or opt in to saturating ' +
        'out-of-range values to the nearest bound (`verity prove --clamp`; quantizeInput(model, x, { clamp: true })): ' +
        'the proof then lists the clamped features, and its answer is the model\'s answer for the clamped input.',
    });
    this.index = index;
    this.value = value;
    this.range = range;
  }
}

/** An input file that is neither `{"input_data": [[...]]}` nor a plain JSON array. */
export class InputFormatError extends BaseError {
  override name = 'InputFormatError';
  constructor({ reason }: { reason: string }) {
    super(`Unreadable input: ${reason}`, {
      details: 'Accepted layouts: {"input_data": [[x0, x1, ...]]} or a plain JSON array [x0, x1, ...].',
    });
  }
}

/** A request batch of no request or of more requests than the batch circuit's K slots. */
export class RequestBatchSizeError extends BaseError {
  override name = 'RequestBatchSizeError';
  readonly k: number;
  readonly got: number;
  constructor({ k, got }: { k: number; got: number }) {
    super(`A request batch holds 1 to ${k} requests, got ${got}`);
    this.k = k;
    this.got = got;
  }
}
