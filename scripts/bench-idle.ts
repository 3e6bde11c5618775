// npm run bench:idle: the CPU an idle `verity dev` uses once its story is over (the devnet
// process with its nodes and explorer, anvil, the native provers), from /proc (Linux), first
// while the heartbeat still beats every 0.5 s and then once it has slowed down. Replaces the
// "## Idle devnet" section of BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_HEARTBEAT } from '@verity/cli';
import { writeBenchSection } from './bench/section.js';

const SAMPLE_S = 60;
const TICKS_PER_S = 100; // USER_HZ on Linux
const log = (s: string) => console.error(`[bench:idle] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process and its descendants. */
function tree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch { /* gone */ }
  return [pid, ...children.flatMap(tree)];
}

/** CPU ticks (user + system) by process, for the tree under `pid`. */
function ticks(pid: number): Map<number, { name: string; ticks: number }> {
  const out = new Map<number, { name: string; ticks: number }>();
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(p, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch { /* gone */ }
  }
  return out;
}

/** Share of one core each program used over `seconds`. */
async function sample(pid: number, seconds: number): Promise<{ total: number; by: Record<string, number> }> {
  const before = ticks(pid);
  await sleep(seconds * 1000);
  const by: Record<string, number> = {};
  for (const [p, { name, ticks: t }] of ticks(pid)) by[name] = (by[name] ?? 0) + (t - (before.get(p)?.ticks ?? t)) / TICKS_PER_S / seconds;
  return { total: Object.values(by).reduce((a, b) => a + b, 0), by };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const dir = mkdtempSync(join(tmpdir(), 'verity-bench-idle-'));
const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'packages', 'cli', 'bin', 'verity.mjs'), 'dev', '--deployment', join(dir, 'deployment.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
while (!out.includes('Verity devnet is up')) {
  if (child.exitCode !== null) throw new Error(`verity dev exited ${child.exitCode}:\n${out}`);
  await sleep(500);
}
const load = loadavg()[0]!.toFixed(1);
log('story over; sampling with the busy heartbeat');
const busy = await sample(child.pid!, 30);
log(`waiting for the heartbeat to slow down (${DEV_HEARTBEAT.idleAfterMs / 1000} s after the last transaction)`);
await sleep(DEV_HEARTBEAT.idleAfterMs - 30_000 + 5_000);
const idle = await sample(child.pid!, SAMPLE_S);
child.kill('SIGINT');
await new Promise((r) => child.once('exit', r));

const row = (label: string, s: { total: number; by: Record<string, number> }) =>
  `| ${label} | ${pct(s.total)} | ${Object.entries(s.by).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([n, v]) => `${n} ${pct(v)}`).join(', ')} |`;
writeBenchSection('## Idle devnet', [
  '## Idle devnet: CPU once the story is over (`npm run bench:idle`)',
  '',
  `\`verity dev\` after its story, doing nothing: CPU time (user + system, from /proc) of its process tree (the devnet process with 3 nodes and the explorer, anvil, the native provers) as a share of one core. Load average at the start: ${load} (the 2 cores are shared). Heartbeat: a block every ${DEV_HEARTBEAT.busyMs / 1000} s while the chain is in use, every ${DEV_HEARTBEAT.idleMs / 1000} s after ${DEV_HEARTBEAT.idleAfterMs / 1000} s without a transaction.`,
  '',
  '| when | CPU (one core = 100%) | by program |',
  '|---|---|---|',
  row('first 30 s after the story (busy heartbeat)', busy),
  row(`${SAMPLE_S} s once quiet for ${DEV_HEARTBEAT.idleAfterMs / 1000} s (slow heartbeat)`, idle),
]);
process.exit(0);
