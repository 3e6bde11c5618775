import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseError } from '@verity/sdk/errors';

/** Finds an npm-installed executable (node_modules/.bin) above this package. */
export function findBin(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new BaseError(`${name} is not installed`, { details: 'Run `npm install` at the repository root.' });
    dir = parent;
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
