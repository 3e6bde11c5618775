// `verity compile --backend r1cs`: the constraint system written by Verity itself, no circom.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTEFACT_FILES } from '../artefacts.js';
import type { WeightEncoding } from '../codegen/circom.js';
import type { InputVisibility } from '../io/layout.js';
import { UnsupportedBackendError } from '../errors/compile.js';
import { writeFileFully } from '../link.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { buildConstraints } from './circuit.js';
import { programConstraints, stepConstraints } from '../lower/steps.js';
import type { Progress } from '../progress.js';
import { r1csFile } from './files.js';

/** What the witness generator needs besides the model: the labels the public bindings eliminated. */
export type EliminatedFile = { version: 1; labels: number; eliminated: number[] };

/**
 * Writes circuit.r1cs and the eliminated-label list into `dir`. Weights as unpinned signals
 * are refused with {@link UnsupportedBackendError} (constant and committed weights are built).
 */
export function writeR1csCircuit(dir: string, model: QuantizedModel, encoding: WeightEncoding, visibility: InputVisibility, progress?: Progress): { constraints: number; wires: number } {
  if (encoding === 'signals') throw new UnsupportedBackendError({ backend: 'r1cs', feature: `--weights ${encoding}` });
  // A progress line per step, with the share of the program's constraints built before it.
  const total = programConstraints(model.steps);
  let before = 0;
  const { system, eliminated, shape } = buildConstraints(model, visibility, encoding, (k, s) => {
    progress?.({ phase: `r1cs: building the constraints of node "${s.name}" (step ${k + 1} of ${model.steps.length})`, percent: Math.floor((100 * before) / Math.max(1, total)) });
    before += stepConstraints(s);
  });
  progress?.({ phase: `r1cs: writing circuit.r1cs (${system.store.count} constraints)` });
  writeFileFully(join(dir, ARTEFACT_FILES.r1cs), r1csFile(system.store, system.labels, eliminated, shape));
  const file: EliminatedFile = { version: 1, labels: system.labels, eliminated };
  writeFileSync(join(dir, ARTEFACT_FILES.eliminated), JSON.stringify(file));
  return { constraints: system.store.count, wires: system.labels - eliminated.length };
}
