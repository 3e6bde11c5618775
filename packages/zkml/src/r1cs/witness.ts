// The witness of the r1cs backend, computed in TypeScript from the quantised program (no
// WebAssembly): the same gadgets that wrote the constraints, run on values.
import type { InputVisibility } from '../codegen/layout.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { computeValues } from './circuit.js';
import type { EliminatedFile } from './compile.js';
import { wtnsFile } from './files.js';

/**
 * The .wtns bytes for an encoded input `u` and a request binding.
 *
 * @example
 * const wtns = r1csWitness(compiled.model, 'committed', eliminatedFile, u, 0n)
 */
export function r1csWitness(model: QuantizedModel, visibility: InputVisibility, file: EliminatedFile, u: readonly bigint[], binding: bigint): Uint8Array {
  const { values } = computeValues(model, visibility, u, binding);
  if (values.length !== file.labels) throw new Error(`internal: the witness has ${values.length} labels, the circuit ${file.labels}`);
  return wtnsFile(values, file.eliminated);
}
