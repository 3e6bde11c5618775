// The devnet end to end: `verity dev` runs the story of the six example apps on its own anvil,
// and the explorer it serves shows what happened, checked in Debian's chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { chromium } from 'playwright-core';
import { decodeInputBytes, encodeInputBytes, inferQuantized, quantizeInput, releaseCurves } from '@verity/zkml';
import { creditFeatures } from '@verity/models/credit';
import { dev } from '../src/dev.js';
import type { StoryOutcome } from '../src/story.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'verity.mjs');
const root = join(here, '..', '..', '..');

// A first run compiles the models in this process: snarkjs's curve workers outlive the story.
after(releaseCurves);

test('verity dev --once: six apps get their answers on chain (4 proved models, 2 agreed), the explorer shows them, nothing is left running', async () => {
  const lines: string[] = [];
  let explorerChecked = false;
  let rpc = '';
  const { story, models } = await dev({
    once: true,
    out: (l) => lines.push(l),
    onReady: async ({ explorerUrl, rpcUrl, story }) => {
      rpc = rpcUrl;
      await checkExplorer(explorerUrl, story);
      explorerChecked = true;
    },
  });
  const out = lines.join('\n');
  assert.ok(explorerChecked);
  assert.match(out, /anvil started\s+http:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /explorer\s+http:\/\/127\.0\.0\.1:\d+\//);

  // Every request answered, each app at least once, both modes.
  const apps = new Set(story.rows.map((r) => r.app));
  assert.deepEqual([...apps].sort(), ['CreditLine', 'EvolvingNFT', 'FraudScreen', 'ModerationDAO', 'SignalVault', 'SubjectiveMarket']);
  assert.equal(story.rows.length, 10);
  assert.deepEqual(story.rows.filter((r) => r.mode === 'agreed').map((r) => r.app).sort(), ['EvolvingNFT', 'SubjectiveMarket']);

  // Proved answers are the quantised model run on the bytes the app sent.
  const byName = new Map(Object.values(models).map((m) => [m.name, m.compiled]));
  for (const r of story.rows.filter((x) => x.mode === 'proved')) {
    const compiled = byName.get(r.model)!;
    assert.deepEqual(r.outputs, inferQuantized(compiled.model, decodeInputBytes(compiled.report.layout, r.input)), `request ${r.requestId}`);
    assert.ok(r.gas > 200_000n && r.gas < 1_000_000n, `fulfil gas ${r.gas}`);
  }
  // CreditLine built the first input from a new borrower's record on chain: every feature 0.
  const credit = byName.get('credit-score')!;
  const firstScore = story.rows.find((r) => r.app === 'CreditLine')!;
  assert.equal(firstScore.input, encodeInputBytes(credit.report.layout, quantizeInput(credit.model, creditFeatures({ repaid: 0, volumeEth: 0, ageDays: 0, liquidations: 0 }))));

  // What the apps did with the answers.
  assert.deepEqual(story.moderation.visible, [false, true], 'the spam post hidden, the ham post visible');
  assert.equal(story.moderation.appeal, 'upheld');
  assert.equal(story.credit.limits.length, 2);
  assert.ok(story.credit.limits[1]! > story.credit.limits[0]!, `repayments raise the limit: ${story.credit.limits}`);
  assert.deepEqual(story.fraud.map((f) => [f.verdict, f.flagged]), [['WashTrading', true], ['RugPull', true], ['Clean', false]]);
  assert.ok(story.vault.riskBps > 5000n, `a rally raises the risk allocation: ${story.vault.riskBps}`);
  assert.equal(story.market.outcome, 'Yes');
  assert.equal(story.market.payout, 4n * 10n ** 18n, 'the yes bettor takes the whole 4 ETH pool');
  assert.deepEqual(story.nft, { level: 2, scars: 0, mood: 'elated' });

  // The summary table: a header and one line per request.
  const table = lines.slice(lines.findIndex((l) => /^#\s+app\s+model\s+mode/.test(l)));
  assert.equal(table.filter((l) => /^\d+\s+/.test(l)).length, 10);
  assert.match(out, /demo complete\s+10 answers on chain for 6 apps \(8 proved, 2 agreed\)/);
  await assert.rejects(fetch(rpc, { method: 'POST', body: '{}' }), 'anvil still answers after dev returned');
});

async function checkExplorer(url: string, story: StoryOutcome) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(url);
    await page.waitForSelector('body[data-loaded="true"]');
    // Requests: every one, with its app, status and answer.
    await page.waitForFunction((n) => document.querySelectorAll('#requests tr[data-request]').length === n, story.rows.length);
    for (const r of story.rows) {
      const row = page.locator(`#requests tr[data-request="${r.requestId}"]`);
      const text = await row.innerText();
      assert.match(text, new RegExp(r.app), `request ${r.requestId} names its app`);
      assert.match(text, r.mode === 'proved' ? /Fulfilled/ : /Finalized/, `request ${r.requestId} status`);
      if (r.mode === 'proved') assert.equal(await row.locator('details summary').innerText(), 'Groth16');
    }
    const models = await page.locator('#models tr[data-model]').allInnerTexts();
    assert.equal(models.length, 6);
    // Every proved model: version 1, weights in the verifying key, the dev setup flagged as insecure.
    const proved = models.filter((m) => /\tproved\t/.test(m));
    assert.equal(proved.length, 4);
    for (const m of proved) assert.match(m, /\tproved\tv1\tverifying key\tdev setup: insecure\t/, m);
    assert.ok(models.some((m) => /^credit-score\tproved\t/.test(m) && /\d+/.test(m)));
    assert.ok(models.some((m) => /^yes-no-judge\tagreed\tv1\t—\t—\t/.test(m)));
    const nodes = await page.locator('#nodes tr[data-node]').allInnerTexts();
    assert.equal(nodes.length, 3);
    const served = nodes.map((n) => Number(n.split('\t')[3]));
    assert.ok(served.reduce((a, b) => a + b, 0) >= 8, `nodes served ${served}`);
    // Each node opted in to the six models it serves.
    for (const n of nodes) {
      const names = n.split('\t')[7]!.split(', ').sort();
      assert.deepEqual(names, ['credit-score', 'event-reader', 'fraud-screen', 'market-signal', 'spam-assassin-mlp', 'yes-no-judge'], n);
    }
    // Committee votes: each agreed request's round with every member's revealed vote.
    const votes = await page.locator('#votes tr[data-votes]').allInnerTexts();
    assert.equal(votes.length, 2);
    for (const v of votes) assert.equal((v.match(/: agree/g) ?? []).length, 3, v);
    assert.equal(await page.locator('#chart rect').count(), story.rows.length);
    if (process.env.VERITY_SCREENSHOT) {
      mkdirSync(dirname(process.env.VERITY_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: process.env.VERITY_SCREENSHOT, fullPage: true });
    }
  } finally {
    await browser.close();
  }
}

test('verity dev --once fails with a non-zero exit when the chain is unreachable', () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once', '--rpc', 'http://127.0.0.1:1'], { encoding: 'utf8', timeout: 120_000, cwd: root });
  assert.notEqual(r.status, 0);
});
