// npm run bench:load: the load benchmark alone (1 and 3 node processes, then 1 node with 2
// proving workers behind Redis); replaces the "## Load" section of BENCHMARKS.md and keeps the
// rest. `npm run bench` runs it too.
import { loadBench, loadSection, type LoadResult } from './bench/load.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:load] ${s}`);
const perMin = Number(process.env.BENCH_LOAD_RATE ?? 90);
const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const results: LoadResult[] = [];
for (const [nodes, workers] of [[1, 0], [3, 0], [1, 2]] as const) {
  log(`${nodes} node(s), ${workers} worker(s), ${perMin} requests/min offered for ${seconds} s`);
  const r = await loadBench({ nodes, workers, perMin, seconds, log });
  log(JSON.stringify(r));
  results.push(r);
}
writeBenchSection('## Load', loadSection(results, 'npm run bench:load'));
process.exit(0);
