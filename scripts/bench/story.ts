// The demo story as a benchmark: `verity dev --once` on its own anvil, first with an empty cache
// (compiles and the dev setup included, what a newcomer's first `npm start` does) and then warm,
// in the same run; per request gas and request-to-callback latency from the warm run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevnet, type StoryRow } from '@verity/cli';

export type StoryBench = { coldSeconds: number; warmSeconds: number; rows: StoryRow[] };

export async function storyBench(log: (s: string) => void): Promise<StoryBench> {
  const cold = mkdtempSync(join(tmpdir(), 'verity-bench-cold-'));
  const previous = process.env.VERITY_CACHE_DIR;
  const run = async () => {
    const t = performance.now();
    const { story } = await startDevnet({ once: true, out: () => {} });
    return { seconds: (performance.now() - t) / 1000, rows: story.rows };
  };
  try {
    log('story: first run with an empty cache');
    process.env.VERITY_CACHE_DIR = cold;
    const first = await run();
    log('story: second run, warm');
    const second = await run();
    return { coldSeconds: first.seconds, warmSeconds: second.seconds, rows: second.rows };
  } finally {
    if (previous === undefined) delete process.env.VERITY_CACHE_DIR;
    else process.env.VERITY_CACHE_DIR = previous;
    rmSync(cold, { recursive: true, force: true });
  }
}

export function storySection(b: StoryBench, command: string): string[] {
  return [
    `## End to end on anvil: the \`verity dev --once\` story (\`${command}\`)`,
    '',
    `The whole story (anvil, contracts, 4 proved and 2 agreed models, 3 nodes, the explorer, 10 requests from 6 apps): **${b.coldSeconds.toFixed(0)} s** on a first run with an empty cache (compiles and the dev setup included; the target is 5 minutes) and **${b.warmSeconds.toFixed(0)} s** once cached (target 60 s): ${(b.coldSeconds / b.warmSeconds).toFixed(1)}x.`,
    '',
    '| request | app | model | mode | answer | gas | request to callback ms |',
    '|---|---|---|---|---|---|---|',
    ...b.rows.map((d) => `| #${d.requestId} | ${d.app} | ${d.model} | ${d.mode} | ${d.answer.replace(/\|/g, '/')} | ${d.gas} | ${d.latencyMs.toFixed(0)} |`),
    '',
    `Proved: gas of the fulfilment transaction (proof check, payments, output decoding and the app's callback), or the answer's share of it when the node fulfilled several requests of the model in one fulfillBatch (the two posts here). Agreed: gas of every transaction of the request (request, proposal, commits, reveals, finalisation with callback); agreed latency includes the 5 s appeal window the devnet uses. Requests sent together (the two posts, the three tokens, the two agreed questions) overlap.`,
    '',
  ];
}
