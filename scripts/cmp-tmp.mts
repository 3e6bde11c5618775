import { compileModel } from '@verity/zkml';
import { imageSamples, largeCnn } from './bench/models.js';
const t0 = performance.now();
const r = await compileModel(largeCnn(), { out: '/tmp/big/cnn-nosetup', calibration: imageSamples(16), setup: false, progress: (e) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${e.phase}`) });
console.log(r.constraints, r.timings, r.accuracy);
