import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnswerFormat } from '@verity/sdk';

/** The files a trained demo model leaves in its directory (see lib/export.ts), and how its outputs read. */
export function modelFiles<Sample>(dir: string, name: string, answer: AnswerFormat) {
  return {
    /** how a person reads the model's outputs (the explorer's answers) */
    answer,
    /** the ONNX model */
    path: join(dir, `${name}.onnx`),
    /** calibration inputs, in the format `verity compile --calibration` reads */
    calibration: join(dir, 'calibration.json'),
    /** held-out metrics recorded when the model was trained */
    metrics: () => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Record<string, number | string>,
    /** the demo inputs, with what they stand for */
    samples: () => JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8')) as Sample[],
  };
}
