import { InputFormatError } from './errors/input.js';

/**
 * Reads an inference input: `{"input_data": [[...floats]]}` (the layout other zkML tools
 * use) or a plain JSON array (nested arrays are flattened). Throws {@link InputFormatError}.
 *
 * @example
 * readInputFile('{"input_data": [[0.1, 0.2]]}') // [0.1, 0.2]
 */
export function readInputFile(text: string): number[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new InputFormatError({ reason: `not JSON (${(cause as Error).message})` });
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    if (!('input_data' in data)) throw new InputFormatError({ reason: 'an object without "input_data"' });
    data = (data as { input_data: unknown }).input_data;
  }
  if (!Array.isArray(data)) throw new InputFormatError({ reason: 'expected an array of numbers' });
  return (data as unknown[]).flat(Infinity) as number[];
}

/**
 * Reads several samples (calibration data): `{"input_data": [[...], [...]]}` or a JSON
 * array of arrays, one sample each; a flat array of numbers is one sample.
 *
 * @example
 * readSamplesFile('{"input_data": [[0, 1], [1, 0]]}') // [[0, 1], [1, 0]]
 */
export function readSamplesFile(text: string): number[][] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new InputFormatError({ reason: `not JSON (${(cause as Error).message})` });
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) data = (data as { input_data?: unknown }).input_data;
  if (!Array.isArray(data) || data.length === 0) throw new InputFormatError({ reason: 'expected a non-empty array of samples' });
  if (data.every((v) => typeof v === 'number')) return [data as number[]];
  return (data as unknown[]).map((s) => {
    if (!Array.isArray(s)) throw new InputFormatError({ reason: 'mixed samples and numbers' });
    return s.flat(Infinity) as number[];
  });
}
