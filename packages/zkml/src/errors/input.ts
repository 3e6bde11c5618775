import { BaseError } from '@verity/sdk/errors';

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

/** An input value that is not a finite number, or an encoded value outside its range. */
export class InputValueError extends BaseError {
  override name = 'InputValueError';
  readonly index: number;
  readonly value: unknown;
  readonly range?: readonly [bigint, bigint];
  constructor({ index, value, range }: { index: number; value: unknown; range?: readonly [bigint, bigint] }) {
    super(range
      ? `Input value at index ${index} is ${String(value)}, outside the encoded range [${range[0]}, ${range[1]}]`
      : `Input value at index ${index} is not a finite number: ${JSON.stringify(value)}`);
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
