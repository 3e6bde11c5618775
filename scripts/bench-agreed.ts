// npm run bench:agreed: the agreed-mode benchmark alone (gas per request over every phase, time
// to acceptance and to finality on anvil); replaces the "## Agreed mode" section of
// BENCHMARKS.md and keeps the rest. `npm run bench` runs it too.
import { agreedBench, agreedSection, AGREED_SETUPS } from './bench/agreed.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:agreed] ${s}`);
const rows = [];
for (const setup of AGREED_SETUPS) {
  log(`${setup.operators} validators, ${setup.offline} offline, ${setup.requests} requests, ballots ${setup.exchange ? "signed, via the leader" : "on chain"}`);
  rows.push(await agreedBench({ ...setup, log }));
}
writeBenchSection('## Agreed mode', agreedSection(rows, 'npm run bench:agreed'));
process.exit(0);
