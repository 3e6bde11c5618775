// npm run bench:agreed: the agreed-mode benchmark alone (gas per request over every phase, time
// to acceptance and to finality on anvil); replaces the "## Agreed mode" section of
// BENCHMARKS.md and keeps the rest. `npm run bench` runs it too.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { agreedBench, agreedSection, AGREED_SETUPS } from './bench/agreed.js';

const log = (s: string) => console.error(`[bench:agreed] ${s}`);
const rows = [];
for (const setup of AGREED_SETUPS) {
  log(`${setup.operators} validators, ${setup.offline} offline, ${setup.requests} requests`);
  rows.push(await agreedBench({ ...setup, log }));
}
const section = agreedSection(rows, 'npm run bench:agreed');
section.splice(2, 0, `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`, '');
let md = '';
try { md = readFileSync('BENCHMARKS.md', 'utf8'); } catch { /* first run */ }
const start = md.indexOf('## Agreed mode');
const next = start < 0 ? -1 : md.indexOf('\n## ', start + 1);
md = start < 0 ? `${md.trimEnd()}\n\n${section.join('\n')}` : `${md.slice(0, start)}${section.join('\n')}${next < 0 ? '' : md.slice(next + 1)}`;
writeFileSync('BENCHMARKS.md', md);
console.log(section.join('\n'));
process.exit(0);
