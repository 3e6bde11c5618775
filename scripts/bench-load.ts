// npm run bench:load: the load benchmark alone (1 and 3 node processes, then 1 node with 2
// proving workers behind Redis); replaces the "## Load" section of BENCHMARKS.md and keeps the
// rest. `npm run bench` runs it too.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { loadBench, loadSection, type LoadResult } from './bench/load.js';

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
const section = loadSection(results, 'npm run bench:load');
section.splice(2, 0, `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`, '');
let md = '';
try { md = readFileSync('BENCHMARKS.md', 'utf8'); } catch { /* first run */ }
const start = md.indexOf('## Load');
const next = start < 0 ? -1 : md.indexOf('\n## ', start + 1);
md = start < 0 ? `${md.trimEnd()}\n\n${section.join('\n')}` : `${md.slice(0, start)}${section.join('\n')}${next < 0 ? '' : md.slice(next + 1)}`;
writeFileSync('BENCHMARKS.md', md);
console.log(section.join('\n'));
process.exit(0);
