import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseError } from '@verity/errors';

/** Finds an npm-installed executable (node_modules/.bin) above this package. */
export function findBin(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new ToolNotInstalledError({ tool: name });
    dir = parent;
  }
}

/** An executable the CLI runs (anvil, forge) is not in any node_modules/.bin above it. */
export class ToolNotInstalledError extends BaseError {
  override name = 'ToolNotInstalledError';
  readonly tool: string;
  constructor({ tool }: { tool: string }) {
    super(`${tool} is not installed`, { details: 'Run `npm install` at the repository root.' });
    this.tool = tool;
  }
}

/** anvil did not answer on its port in time. */
export class AnvilStartError extends BaseError {
  override name = 'AnvilStartError';
  constructor({ output }: { output: string }) {
    super('anvil did not start', { details: output.slice(-2000) });
  }
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

export type Anvil = { rpcUrl: string; port: number; process: ChildProcess; stop(): Promise<void> };

/** How often {@link keepMining} mines: every `busyMs` while the chain is in use, every `idleMs` once it has been quiet for `idleAfterMs`. */
export type Heartbeat = { busyMs: number; idleMs: number; idleAfterMs: number };

/**
 * Mines empty blocks on a devnet (anvil, hardhat: `evm_mine`) until stopped. An automining
 * devnet makes a block only per transaction, but a request's primary and committee are drawn
 * from the hash of a block after the request's, so nothing can happen until a later block
 * exists: the heartbeat makes blocks come as they do on a real chain. While the chain is in use
 * (a block it did not mine itself, i.e. a transaction, within the last `idleAfterMs`) it mines
 * every `busyMs`; on a quiet chain only every `idleMs`, so an idle devnet's nodes have few new
 * blocks to read. It looks at the head every `busyMs`, so a new request brings the fast beat
 * back at once. Anvil gives blocks in the same second the same timestamp, so the chain's clock
 * does not run ahead. Failed calls are ignored (the chain may be stopping).
 *
 * @example
 * const stop = keepMining(anvil.rpcUrl, { busyMs: 500, idleMs: 5_000, idleAfterMs: 120_000 })
 * // ...
 * await stop()
 */
export function keepMining(rpcUrl: string, { busyMs, idleMs, idleAfterMs }: Heartbeat): () => Promise<void> {
  const rpc = (method: string) => fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) })
    .then((r) => r.json() as Promise<{ result?: string }>);
  let expected: bigint | undefined;
  let lastActivity = Date.now();
  let lastMined = 0;
  const beat = async () => {
    const head = BigInt((await rpc('eth_blockNumber')).result ?? '0x0');
    const now = Date.now();
    if (expected !== undefined && head !== expected) lastActivity = now;
    expected = head;
    if (now - lastActivity >= idleAfterMs && now - lastMined < idleMs) return;
    await rpc('evm_mine');
    lastMined = now;
    expected = head + 1n;
  };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= beat().catch(() => {}).finally(() => (running = undefined));
  }, busyMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * Starts anvil (from the `@foundry-rs/anvil` npm package) on a free loopback port and
 * waits until its RPC answers. `stop()` ends it; it is also killed if this process exits.
 */
export async function startAnvil({ blockTime, chainId }: { blockTime?: number; /** default 31337 */ chainId?: number } = {}): Promise<Anvil> {
  const port = await freePort();
  const bin = findBin('anvil');
  const args = ['--host', '127.0.0.1', '--port', String(port), '--silent', ...(blockTime ? ['--block-time', String(blockTime)] : []), ...(chainId ? ['--chain-id', String(chainId)] : [])];
  // `.bin/anvil` is a Node wrapper around the real binary: give both their own process group
  // and signal the group, so neither outlives us.
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signal = (s: NodeJS.Signals) => { try { process.kill(-child.pid!, s); } catch { /* already gone */ } };
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const kill = () => signal('SIGKILL');
  process.once('exit', kill);
  const rpcUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
      if (res.ok) {
        return {
          rpcUrl, port, process: child,
          stop: () => new Promise<void>((r) => {
            process.removeListener('exit', kill);
            if (child.exitCode !== null) return r();
            child.once('exit', () => r());
            signal('SIGTERM');
          }),
        };
      }
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  kill();
  throw new AnvilStartError({ output });
}
