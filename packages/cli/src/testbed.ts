// A testbed of real processes: a fresh anvil with Verity deployed and the demo spam model
// registered, `verity node start` / `verity node worker` processes (JSON logs read line by line),
// and a throwaway Redis. The node's fault tests and the load and batch benchmarks run on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Hex, PublicClient } from 'viem';
import { createVerityClient, deployVerity, registerProvedModel, stakeNode, type VerityAddresses, type VerityClient, type Wallet } from '@verity/sdk';
import { BaseError } from '@verity/errors';
import { compileCached, encodeInputBytes, quantizeInput, readSamplesFile, type CircuitBackend, type CompiledModel } from '@verity/zkml';
import { spamFeatures, spamModel as spamFiles } from '@verity/models/spam';
import { startAnvil, type Anvil } from './anvil.js';
import { anvilKey, connect } from './chain.js';

const VERITY = join(import.meta.dirname, '..', 'bin', 'verity.mjs');

/** redis-server is not installed (`npm test` installs Debian's). */
export class RedisNotInstalledError extends BaseError {
  override name = 'RedisNotInstalledError';
  constructor() {
    super('redis-server is not installed', { details: 'Run the suite with `npm test`, which installs Debian\'s redis-server, or `apt-get install redis-server`.' });
  }
}

export type LogLine = { level: number; msg: string; requestId?: string; [k: string]: unknown };

/** `verity node start --config FILE` as a child process, its JSON log lines collected. */
export class NodeProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  private exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let line: LogLine;
        try { line = JSON.parse(text); } catch { continue; }
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
      }
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(config: string, key: Hex): NodeProcess {
    return NodeProcess.spawn(['node', 'start', '--config', config], { VERITY_PRIVATE_KEY: key });
  }

  /** `verity node worker --config FILE`: a proving worker behind Redis. */
  static worker(config: string): NodeProcess {
    return NodeProcess.spawn(['node', 'worker', '--config', config]);
  }

  private static spawn(args: string[], env: Record<string, string> = {}): NodeProcess {
    const child = spawn(process.execPath, [VERITY, ...args], {
      env: { ...process.env, ...env, VERITY_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProcess(child);
  }

  /** The first log line (already seen or still to come) that `pred` accepts. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs = 60_000, what = 'a log line'): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${this.lines.slice(-8).map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
    });
  }

  waitForMsg(msg: string, requestId?: bigint, timeoutMs?: number) {
    return this.waitFor((l) => l.msg === msg && (requestId === undefined || l.requestId === requestId.toString()), timeoutMs, `"${msg}"${requestId === undefined ? '' : ` for request ${requestId}`}`);
  }

  has(msg: string) {
    return this.lines.some((l) => l.msg === msg);
  }

  /** SIGKILL: no handler runs, nothing is flushed or closed. */
  async kill9() {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** The demo spam classifier, compiled once (cached) by `backend` (default circom) and with its samples. */
async function spamModel(backend: CircuitBackend = 'circom'): Promise<{ compiled: CompiledModel; inputs: Hex[] }> {
  const { compiled } = await compileCached(`spam-${backend}`, readFileSync(spamFiles.path), { calibration: readSamplesFile(readFileSync(spamFiles.calibration, 'utf8')), backend });
  const samples = spamFiles.samples();
  const inputs = samples.map((s) => encodeInputBytes(compiled.report.layout, quantizeInput(compiled.model, spamFeatures(s))));
  return { compiled, inputs };
}

export type Network = { addresses: VerityAddresses; modelId: Hex; client: VerityClient };

/**
 * Fresh contracts on the chain, the model registered, `operators` staked and opted in to serve
 * it (unless `optIn: false`: its node then opts in when it starts).
 */
export async function network(
  publicClient: PublicClient,
  p: { admin: Wallet; owner: Wallet; user: Wallet; compiled: CompiledModel; assignmentWindow: bigint; operators: ([Wallet, bigint] | [Wallet, bigint, { optIn: false }])[] },
): Promise<Network> {
  const addresses = await deployVerity(publicClient, p.admin, { assignmentWindow: p.assignmentWindow });
  const verifierBuild = JSON.parse(readFileSync(p.compiled.path('verifierBuild'), 'utf8')) as { abi: unknown[]; bytecode: Hex };
  const { modelId } = await registerProvedModel(publicClient, p.owner, { registry: addresses.registry, report: p.compiled.report, verifierBuild, name: 'spam', fee: 10n ** 15n });
  for (const [i, [w, stake, o]] of p.operators.entries()) {
    await stakeNode(publicClient, w, { nodes: addresses.nodes, stake, name: `op-${i}`, models: o?.optIn === false ? [] : [modelId] });
  }
  return { addresses, modelId, client: createVerityClient({ publicClient, wallet: p.user, addresses }) };
}

/** Writes a node config file for `net` and returns its path. */
export function nodeConfig(dir: string, name: string, rpc: string, net: Network, compiledDir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ rpc, coprocessor: net.addresses.coprocessor, store: `${name}.sqlite`, pollMs: 100, models: [{ modelId: net.modelId, dir: compiledDir }], status: { port: 0 }, ...extra }, null, 1));
  return path;
}

/**
 * What a node test file (and the load benchmark) works on: a fresh anvil, its ten accounts as
 * wallets, the demo model with its sample inputs, a temporary directory, and the processes
 * started on it (`track`), which {@link stopTestbed} stops.
 */
export type Testbed = {
  anvil: Anvil;
  publicClient: PublicClient;
  /** anvil's accounts 0..9 */
  wallets: Wallet[];
  compiled: CompiledModel;
  inputs: Hex[];
  dir: string;
  track(n: NodeProcess): NodeProcess;
  /**
   * Sends a request for `net`'s model on sample input `i` (modulo the samples), paying the
   * quoted fee, then mines a block: the draw reads the request block's hash, and an idle
   * automining anvil makes no block after it on its own.
   */
  ask(net: Network, i?: number, callbackGasLimit?: number): Promise<bigint>;
  /** Mines `n` empty blocks. */
  mine(n?: number): Promise<void>;
};

export async function startTestbed(tmpPrefix: string, backend?: CircuitBackend): Promise<Testbed & { running: NodeProcess[] }> {
  const { compiled, inputs } = await spamModel(backend);
  const anvil = await startAnvil();
  const c = await connect(anvil.rpcUrl);
  const running: NodeProcess[] = [];
  const mine = async (n = 1) => { await c.publicClient.request({ method: 'anvil_mine' as never, params: [`0x${n.toString(16)}`] as never }); };
  return {
    mine,
    anvil, publicClient: c.publicClient, compiled, inputs, running,
    wallets: Array.from({ length: 10 }, (_, i) => c.wallet(anvilKey(i))),
    dir: mkdtempSync(join(tmpdir(), tmpPrefix)),
    track: (n) => (running.push(n), n),
    ask: async (net, i = 0, callbackGasLimit = 100_000) => {
      const value = await net.client.quote(net.modelId, callbackGasLimit);
      const { requestId } = await net.client.request({ modelId: net.modelId, input: inputs[i % inputs.length]!, callbackGasLimit, value });
      await mine();
      return requestId;
    },
  };
}

/** Stops the testbed's processes and anvil (and removes its directory when asked). */
export async function stopTestbed(bed: (Testbed & { running: NodeProcess[] }) | undefined, options: { removeDir?: boolean } = {}) {
  if (!bed) return;
  for (const n of bed.running) await n.stop();
  await bed.anvil.stop();
  if (options.removeDir) rmSync(bed.dir, { recursive: true, force: true });
}

/** Where Debian's redis-server is; `npm test` installs it (scripts/test.mjs) when it is missing. */
function redisServerPath(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  throw new RedisNotInstalledError();
}

/** A throwaway redis-server on a free loopback port, no persistence. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
  });
  const dir = mkdtempSync(join(tmpdir(), 'verity-redis-'));
  const child = spawn(redisServerPath(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('Ready to accept connections')) { clearTimeout(t); resolve(); } });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited (${code}): ${out}`)); });
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => { child.kill('SIGKILL'); await exited; rmSync(dir, { recursive: true, force: true }); },
  };
}
