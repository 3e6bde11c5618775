// npm run bench:story: the demo story alone, cold and warm (see scripts/bench/story.ts); replaces
// the "## End to end on anvil" section of BENCHMARKS.md and keeps the rest. `npm run bench` runs it too.
import { storyBench, storySection } from './bench/story.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:story] ${s}`);
writeBenchSection('## End to end on anvil', storySection(await storyBench(log), 'npm run bench:story'));
process.exit(0);
