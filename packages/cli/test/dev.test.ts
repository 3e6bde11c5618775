// The devnet end to end: `verity dev` runs the story of the six example apps on its own anvil,
// and the explorer it serves shows what happened, checked in Debian's chromium.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { chromium } from 'playwright-core';
import { decodeInputBytes, encodeInputBytes, inferQuantized, quantizeInput, releaseCurves } from '@verity/zkml';
import { creditFeatures } from '@verity/models/credit';
import { dev } from '../src/dev.js';
import { anvilKey } from '../src/chain.js';
import type { Deployment } from '../src/commands.js';
import { DeploymentFileInUseError } from '../src/devDeployment.js';
import type { StoryOutcome } from '../src/story.js';
import type { RequestView } from '@verity/explorer';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'verity.mjs');
const root = join(here, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'verity-dev-test-'));

/** Runs the CLI without blocking this process (the devnet's nodes run in it); never rejects. */
function verity(args: string[], key: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, VERITY_PRIVATE_KEY: key }, cwd: tmp });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// A first run compiles the models in this process: snarkjs's curve workers outlive the story.
after(releaseCurves);

test('verity dev --once: six apps get their answers on chain (4 proved models, 2 agreed), the explorer shows them, verity request works with its deployment file, nothing is left running', async () => {
  const lines: string[] = [];
  let explorerChecked = false;
  let requested = false;
  let rpc = '';
  const deploymentFile = join(tmp, 'deployment.json');
  const { story, models } = await dev({
    once: true,
    deployment: deploymentFile,
    out: (l) => lines.push(l),
    onReady: async ({ explorerUrl, rpcUrl, story, addresses, models }) => {
      rpc = rpcUrl;
      await checkExplorer(explorerUrl, story);
      explorerChecked = true;
      // The deployment file names the running devnet and every model by its full id.
      const d = JSON.parse(readFileSync(deploymentFile, 'utf8')) as Deployment;
      assert.deepEqual([d.chainId, d.rpcUrl, d.addresses], [31337, rpcUrl, addresses]);
      assert.deepEqual(Object.keys(d.models!).sort(), ['credit-score', 'event-reader', 'fraud-screen', 'market-signal', 'spam-assassin-mlp', 'yes-no-judge']);
      for (const id of Object.values(d.models!)) assert.match(id, /^0x[0-9a-f]{64}$/);
      const credit = Object.values(models).find((m) => m.name === 'credit-score')!;
      assert.equal(d.models!['credit-score'], credit.modelId);
      // A user's request from the command line, answered by the devnet's nodes.
      const input = join(tmp, 'credit-input.json');
      writeFileSync(input, JSON.stringify([0.6, 0.4, 0.5, 0]));
      const r = await verity(['request', credit.modelId, '--input', input, '--model-dir', credit.compiled.dir, '--deployment', deploymentFile], anvilKey(3));
      assert.equal(r.status, 0, r.stderr);
      const id = /^request #(\d+) to "credit-score" v1 \(proved mode/m.exec(r.stdout)?.[1];
      assert.ok(id, r.stdout);
      assert.match(r.stdout, new RegExp(`^answer #${id}: -?[\\d.]+ \\(proved by 0x[0-9a-fA-F]{40}, tx 0x[0-9a-f]{64}\\)$`, 'm'));
      requested = true;
    },
  });
  const out = lines.join('\n');
  assert.ok(explorerChecked);
  assert.ok(requested);
  assert.equal(existsSync(deploymentFile), false, 'the deployment file is removed when the devnet stops');
  // Full model ids in the log, so they can be copied into verity request.
  for (const m of Object.values(models)) assert.match(out, new RegExp(`registered as ${m.modelId}$`, 'm'));
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
    // The explorer's answers and gas are the story's: proved answers with each app's labels
    // (the spam model's classes where ModerationDAO says hidden or visible), agreed gas over
    // every transaction of the request.
    const state = await (await fetch(`${url}api/state`)).json() as { requests: RequestView[] };
    for (const r of story.rows) {
      const shown = state.requests.find((x) => x.id === String(r.requestId))!;
      assert.equal(shown.gas, r.gas.toString(), `request ${r.requestId} gas`);
      const expected = r.model === 'spam-assassin-mlp' ? (r.answer.startsWith('hidden') ? 'spam' : 'not spam') : r.answer.replace(/^"(.*)"$/, '$1');
      assert.equal(shown.answer, expected, `request ${r.requestId} answer`);
      assert.equal(await page.locator(`#requests tr[data-request="${r.requestId}"] td.answer`).innerText(), expected);
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

test('verity dev (serving until Ctrl-C): its deployment file answers an agreed verity request, Ctrl-C removes the file and stops anvil', async () => {
  const file = join(tmp, 'serving.json');
  // Its own process group, so the last resort below can end it however it fails.
  const child = spawn(process.execPath, [bin, 'dev', '--deployment', file], { cwd: tmp, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // Ready when the deployment file is there (written after the story): polled, not read from the log.
    const deadline = Date.now() + 600_000;
    while (!existsSync(file)) {
      assert.equal(child.exitCode, null, `verity dev exited early:\n${log}`);
      assert.ok(Date.now() < deadline, `no deployment file after 10 min:\n${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const d = JSON.parse(readFileSync(file, 'utf8')) as Deployment;
    const judge = d.models!['yes-no-judge']!;
    const r = await verity(['request', judge, '--text', 'Was it a brilliant, stunning triumph?', '--deployment', file], anvilKey(3));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Accepted\s+"yes" by round 0; the appeal window closes in [0-5] s/m);
    assert.match(r.stdout, /^answer #\d+: yes \(agreed by the committee/m);

    child.kill('SIGINT');
    assert.equal(await exited, 0, log);
    assert.equal(existsSync(file), false, 'the deployment file is removed when the devnet stops');
    await assert.rejects(fetch(d.rpcUrl, { method: 'POST', body: '{}' }), 'anvil stopped with the devnet');
  } finally {
    // A failure above: SIGINT stops the devnet (anvil too) at any stage; SIGKILL if it hangs.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // no such process group: everything has stopped
    }
  }
});

test('Ctrl-C while verity dev starts stops its anvil (in its own process group, which a terminal\'s Ctrl-C does not reach)', async () => {
  const child = spawn(process.execPath, [bin, 'dev', '--deployment', join(tmp, 'interrupted.json')], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const rpc = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => { out += d; const m = /anvil started\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) resolve(m[1]!); });
      void exited.then((code) => reject(new Error(`verity dev exited ${code} before starting anvil: ${out}`)));
    });
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    await assert.rejects(fetch(rpc, { method: 'POST', body: '{}' }), 'anvil stopped');
    assert.equal(existsSync(join(tmp, 'interrupted.json')), false);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('verity dev will not overwrite a file that is not a devnet\'s deployment, and starts nothing', async () => {
  const notes = join(tmp, 'notes.json');
  writeFileSync(notes, '{"todo": "keep me"}');
  await assert.rejects(dev({ once: true, deployment: notes, rpc: 'http://127.0.0.1:1', out: () => {} }), (e: unknown) => e instanceof DeploymentFileInUseError && e.path === notes);
  const sepolia = join(tmp, 'sepolia.json');
  writeFileSync(sepolia, JSON.stringify({ chainId: 11155111, addresses: { coprocessor: '0x01', registry: '0x02' } }));
  await assert.rejects(dev({ once: true, deployment: sepolia, rpc: 'http://127.0.0.1:1', out: () => {} }), DeploymentFileInUseError);
  assert.equal(readFileSync(notes, 'utf8'), '{"todo": "keep me"}');
  const r = spawnSync(process.execPath, [bin, 'dev', '--once', '--deployment', notes], { encoding: 'utf8', timeout: 60_000, cwd: root });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: DeploymentFileInUseError: verity dev will not overwrite .*notes\.json: it exists and is not a Verity deployment file/);
});

test('verity dev --once fails with a non-zero exit when the chain is unreachable', () => {
  const r = spawnSync(process.execPath, [bin, 'dev', '--once', '--rpc', 'http://127.0.0.1:1'], { encoding: 'utf8', timeout: 120_000, cwd: root });
  assert.notEqual(r.status, 0);
});
