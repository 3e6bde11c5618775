import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files a trained demo model leaves in its directory (see lib/export.ts). */
export function modelFiles<Sample>(dir: string, name: string) {
  return {
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
