// The witness of the r1cs backend, computed in TypeScript from the quantised program (no
// WebAssembly): the same gadgets that wrote the constraints, run on values.
import type { InputVisibility } from '../io/layout.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { computeValues, type R1csWeights } from './circuit.js';
import type { EliminatedFile } from './compile.js';
import { wtnsFile } from './files.js';

/**
 * The .wtns bytes for an encoded input `u` and a request binding (with committed weights, the
 * weights are the model's own: model.json holds them).
 *
 * @example
 * const wtns = r1csWitness(compiled.model, 'committed', eliminatedFile, u, 0n)
 */
export function r1csWitness(model: QuantizedModel, visibility: InputVisibility, file: EliminatedFile, u: readonly bigint[], binding: bigint, weights: R1csWeights = 'constant'): Uint8Array {
  const { values } = computeValues(model, visibility, u, binding, undefined, weights);
  if (values.length !== file.labels) throw new Error(`internal: the witness has ${values.length} labels, the circuit ${file.labels}`);
  return wtnsFile(values, file.eliminated);
}
