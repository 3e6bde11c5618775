// Test harness for the node's tests: the testbed of real processes (@verity/cli's testbed:
// anvil, `verity node start` processes, Redis), plus what only tests need: a logger that collects
// an in-process node's lines, a TCP proxy that can cut a node off from its RPC, anvil's clock.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Hex, PublicClient } from 'viem';
import { coprocessorAbi } from '@verity/sdk';
import type { LogLine } from '@verity/cli';
import type { Job, VerityNode } from '../src/index.js';

export {
  network, nodeConfig, NodeProcess, startRedis, startTestbed, stopTestbed, type LogLine, type Network,
} from '@verity/cli';

/** Resolves once every job in `ids` is fulfilled (a job that fails rejects). */
export function fulfilled(node: VerityNode, ids: bigint[]): Promise<Job[]> {
  const done = () => ids.map((id) => node.job(id)).filter((j): j is Job => j?.state === 'fulfilled');
  return new Promise((resolve, reject) => {
    const check = (job?: Job) => {
      if (job?.state === 'failed' && ids.includes(job.requestId)) return reject(new Error(`request ${job.requestId} failed: ${job.error}`));
      if (done().length === ids.length) { node.off('job', check); resolve(done()); }
    };
    node.on('job', check);
    check();
  });
}

/** A pino logger for an in-process node whose JSON lines are collected in `lines`. */
export function captureLogger(name: string) {
  const lines: LogLine[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { lines, logger: pino({ level: 'debug' }, stream).child({ node: name }) };
}

/** A TCP proxy to `port` that can be taken down (listener closed, connections cut) and back up. */
export async function startProxy(port: number): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let listenPort = 0;
  const up = () => new Promise<void>((resolve, reject) => {
    server = createServer((client) => {
      const upstream = tcpConnect(port, '127.0.0.1');
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); }
      client.pipe(upstream).pipe(client);
    });
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => { listenPort = (server!.address() as { port: number }).port; resolve(); });
  });
  const down = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server ? server.close(() => resolve()) : resolve();
    server = undefined;
  });
  await up();
  return { url: `http://127.0.0.1:${listenPort}`, up, down, close: down };
}

/** An anvil JSON-RPC call (its anvil_* and evm_* methods, which viem does not type). */
export const anvilRpc = (publicClient: PublicClient, method: string, params: unknown[] = []) =>
  publicClient.request({ method: method as never, params: params as never });

/**
 * From now until the returned `release` (idempotent), chain time advances one second per block
 * whatever the wall clock (anvil's block timestamp interval): a chain window a test must not see
 * run out is then counted in the blocks mined meanwhile, so a process slowed by a busy machine
 * cannot miss it. On release, time catches up with the wall clock at once.
 */
export async function chainTimeByBlocks(publicClient: PublicClient): Promise<() => Promise<void>> {
  await anvilRpc(publicClient, 'anvil_setBlockTimestampInterval', [1]);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await anvilRpc(publicClient, 'anvil_removeBlockTimestampInterval');
  };
}

/** Fulfilled events for `requestId` on the chain as it is now. */
export async function fulfilments(publicClient: PublicClient, coprocessor: Hex, requestId: bigint) {
  return publicClient.getContractEvents({ address: coprocessor, abi: coprocessorAbi, eventName: 'Fulfilled', args: { requestId }, fromBlock: 0n });
}

