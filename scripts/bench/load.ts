// Load benchmark: real `verity node start` processes on anvil, requests sent at a fixed rate,
// every request followed to its callback (or refund). Reports the rate held, latency p50/p95
// from the request's transaction to the Fulfilled event, and each node's peak memory (VmHWM).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coprocessorAbi, RequestStatus, setRequestBatchVerifier, type Wallet } from '@verity/sdk';
import { compileRequestBatch, requestBatchDir } from '@verity/zkml';
import { anvilKey, network, nodeConfig, NodeProcess, startRedis, startTestbed, stopTestbed } from '@verity/cli';

export type LoadResult = {
  nodes: number;
  /** proving workers behind Redis (0: each node proves in its own process) */
  workers: number;
  offeredPerMin: number;
  seconds: number;
  sent: number;
  fulfilled: number;
  refunded: number;
  lost: number;
  heldPerMin: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  peakRssMb: number[];
};

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** VmHWM (peak resident set) of a process, in MB. */
const peakRss = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Offers `perMin` requests per minute for `seconds` to `nodes` node processes (stakes 1..N ETH,
 * 30 s assignment window), then waits for every request to be fulfilled (or up to 120 s).
 * With `workers`, the nodes hand their proofs to that many `verity node worker` processes
 * through a redis-server started here. `batch: false` sends one `fulfill` per request;
 * `requestBatch: K` gives a copy of the model its request-batch circuit for K, registered on
 * chain, so the nodes answer ready requests together in one proof (`fulfillRequests`).
 */
export async function loadBench(p: { nodes: number; workers?: number; perMin: number; seconds: number; log: (s: string) => void; batch?: false; requestBatch?: number }): Promise<LoadResult> {
  const workers = p.workers ?? 0;
  const bed = await startTestbed('verity-load-');
  const { anvil, publicClient, compiled, inputs, dir, running } = bed;
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  try {
    if (workers > 0) redis = await startRedis();
    const [admin, owner, user] = [0, 1, 3].map((i) => bed.wallets[i]!) as [Wallet, Wallet, Wallet];
    const operators = [2, 4, 5, 6, 7].slice(0, p.nodes);
    const keys = operators.map(anvilKey);
    const net = await network(publicClient, { admin, owner, user, compiled, assignmentWindow: 30n, operators: operators.map((k, i) => [bed.wallets[k]!, BigInt(i + 1) * 10n ** 18n]) });
    let modelDir = compiled.dir;
    if (p.requestBatch) {
      // A copy of the cached model: its requests-K directory stays out of the shared cache.
      modelDir = join(dir, 'model');
      cpSync(compiled.dir, modelDir, { recursive: true });
      const k = p.requestBatch;
      const report = await compileRequestBatch(modelDir, { k });
      await setRequestBatchVerifier(publicClient, owner, {
        registry: net.addresses.registry, modelId: net.modelId, version: 1, k, insecure: report.setup.insecure,
        verifierBuild: JSON.parse(readFileSync(join(requestBatchDir(modelDir, k), 'verifier.json'), 'utf8')),
      });
    }
    const workerProcs: NodeProcess[] = [];
    const proving = redis ? { proving: { redis: redis.url, concurrency: 2 * workers } } : {};
    for (let i = 0; i < workers; i++) {
      const config = join(dir, `worker-${i}.json`);
      writeFileSync(config, JSON.stringify({ redis: redis!.url, name: `worker-${i}`, models: [{ modelId: net.modelId, dir: modelDir }] }));
      const w = bed.track(NodeProcess.worker(config));
      workerProcs.push(w);
      await w.waitForMsg('worker serving model');
    }
    for (const [i, key] of keys.entries()) {
      const node = bed.track(NodeProcess.start(nodeConfig(dir, `node-${i}`, anvil.rpcUrl, net, modelDir, { status: undefined, ...proving, ...(p.batch === false ? { batch: false } : {}) }), key));
      await node.waitForMsg('node started');
    }
    const fee = await net.client.quote(net.modelId, 100_000);
    const sentAt = new Map<bigint, number>();
    const doneAt = new Map<bigint, number>();
    let cursor = await publicClient.getBlockNumber({ cacheTime: 0 });
    const watch = setInterval(async () => {
      try {
        const head = await publicClient.getBlockNumber({ cacheTime: 0 });
        if (head < cursor) return;
        const events = await publicClient.getContractEvents({ address: net.addresses.coprocessor, abi: coprocessorAbi, eventName: 'Fulfilled', fromBlock: cursor, toBlock: head });
        for (const e of events) if (!doneAt.has(e.args.requestId!)) doneAt.set(e.args.requestId!, performance.now());
        cursor = head + 1n;
      } catch { /* next tick */ }
    }, 50);
    const interval = 60_000 / p.perMin;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < p.seconds * 1000; i++) {
      const due = t0 + i * interval;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      const at = performance.now();
      const { requestId } = await net.client.request({ modelId: net.modelId, input: inputs[i % inputs.length]!, callbackGasLimit: 100_000, value: fee });
      sentAt.set(requestId, at);
    }
    p.log(`load: ${sentAt.size} requests sent to ${p.nodes} node(s)${workers ? ` with ${workers} worker(s)` : ''}; waiting for the rest`);
    const deadline = performance.now() + 120_000;
    while (doneAt.size < sentAt.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    clearInterval(watch);
    const elapsed = (Math.max(...doneAt.values()) - t0) / 1000;
    let refunded = 0;
    for (const id of sentAt.keys()) {
      if (doneAt.has(id)) continue;
      const r = await publicClient.readContract({ address: net.addresses.coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [id] });
      if (RequestStatus[r.status] === 'Refunded') refunded++;
    }
    const latencies = [...doneAt.entries()].map(([id, t]) => t - sentAt.get(id)!);
    // The nodes first, then the workers (they were started first), as the table's note says.
    const peakRssMb = [...running.filter((n) => !workerProcs.includes(n)), ...workerProcs].map((n) => peakRss(n.child.pid!));
    return {
      nodes: p.nodes, workers, offeredPerMin: p.perMin, seconds: p.seconds, sent: sentAt.size, fulfilled: doneAt.size, refunded,
      lost: sentAt.size - doneAt.size - refunded, heldPerMin: (doneAt.size / elapsed) * 60,
      p50Ms: quantile(latencies, 0.5), p95Ms: quantile(latencies, 0.95), maxMs: Math.max(...latencies), peakRssMb,
    };
  } finally {
    await stopTestbed(bed, { removeDir: true });
    await redis?.stop();
  }
}

/** The BENCHMARKS.md section for load results. */
export function loadSection(results: LoadResult[], command: string): string[] {
  const f = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return [
    `## Load: proved requests per minute on anvil (\`${command}\`)`,
    '',
    'Real `verity node start` processes (SQLite store, transaction manager) on the demo spam model (1,287 constraints); one requester sends at a fixed rate; latency runs from sending the request to seeing its `Fulfilled` event (the callback is in the same transaction). Stakes 1..N ETH, 30 s assignment window, so each request is served by the node drawn for it. With workers, the node proves nothing itself: `verity node worker` processes take its proofs from a local redis-server (BullMQ).',
    '',
    '| setup | offered / min | sent | fulfilled | refunded | lost | held / min | p50 ms | p95 ms | max ms | peak RSS per process MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.nodes} node${r.nodes > 1 ? 's' : ''}${r.workers ? ` + ${r.workers} workers (Redis)` : ''} | ${r.offeredPerMin} | ${r.sent} | ${r.fulfilled} | ${r.refunded} | ${r.lost} | ${f(r.heldPerMin)} | ${f(r.p50Ms)} | ${f(r.p95Ms)} | ${f(r.maxMs)} | ${r.peakRssMb.map(f).join(', ')} |`),
    '',
    '"Held / min" is requests fulfilled divided by the time from the first request to the last fulfilment. Both cores are shared by anvil, the requester and the node processes, so workers on this one machine add no cores; the lower p95 with workers comes from the node keeping several proofs in flight (proving one request while submitting another) instead of one at a time. On an operator\'s cluster each worker also brings its own cores. Peak RSS lists the nodes, then the workers.',
    '',
  ];
}
