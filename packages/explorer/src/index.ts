import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Address, Hex, PublicClient } from 'viem';
import type { VerityAddresses } from '@verity/sdk';
import { Indexer, type ExplorerModelInfo } from './indexer.js';

export { Indexer, PINNING, SETUP, type ExplorerModelInfo, type ExplorerState, type ModelView, type NodeView, type RequestView, type RoundView } from './indexer.js';

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
};

export type Explorer = { url: string; indexer: Indexer; label: (address: Address, name: string) => void; stop: () => Promise<void> };

/**
 * Serves the explorer: a page (public/index.html) that polls `/api/state`, which the indexer
 * builds from the chain's events on each call (only new blocks are read).
 *
 * @example
 * const explorer = await startExplorer({ publicClient, addresses, port: 8546, fromBlock: BigInt(deployment.block) })
 * console.log(`open ${explorer.url}`)
 */
export async function startExplorer(p: {
  publicClient: PublicClient; addresses: VerityAddresses; port?: number; host?: string;
  /** model details by model id */
  models?: Record<Hex, ExplorerModelInfo>;
  /** model details by registered commitment (compiled artefacts found on disk), for models `models` does not name */
  byCommitment?: Record<Hex, ExplorerModelInfo>;
  /** where to start reading events: the deployment's block (deployment.json's `block`) */
  fromBlock: bigint;
}): Promise<Explorer> {
  const indexer = new Indexer(p.publicClient, p.addresses, p.models ?? {}, p.fromBlock, undefined, p.byCommitment);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/state') {
      indexer.sync().then(
        () => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(indexer.state(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
        },
        (e: unknown) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `the chain could not be read: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` }));
        },
      );
      return;
    }
    const file = FILES[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file[1] });
    res.end(readFileSync(join(PUBLIC, file[0])));
  });
  const host = p.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    indexer,
    label: (address, name) => indexer.label(address, name),
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
