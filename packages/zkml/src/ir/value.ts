import type { Affine } from './affine.js';
import { constantForm } from './affine.js';
import { sizeOf } from './tensor.js';

/** A tensor known at compile time (weights, folded constants, or a float evaluation). */
export type ConstValue = { kind: 'const'; shape: number[]; data: Float64Array; /** derived from the model input (float evaluation) */ dyn?: boolean };
/** A tensor computed in the circuit: each element an affine form over signals. */
export type SymValue = { kind: 'sym'; shape: number[]; forms: Affine[] };
export type Value = ConstValue | SymValue;

export const constValue = (shape: number[], data: Float64Array | number[]): ConstValue => ({
  kind: 'const', shape, data: data instanceof Float64Array ? data : Float64Array.from(data),
});

export const symValue = (shape: number[], forms: Affine[]): SymValue => ({ kind: 'sym', shape, forms });

/** Element `i` as an affine form (constants become constant forms). */
export const formAt = (v: Value, i: number): Affine => (v.kind === 'sym' ? v.forms[i]! : constantForm(v.data[i]!));

export const withShape = (v: Value, shape: number[]): Value => {
  if (sizeOf(shape) !== sizeOf(v.shape)) throw new Error(`internal: reshape [${v.shape}] to [${shape}]`);
  return v.kind === 'sym' ? { ...v, shape } : { ...v, shape };
};
