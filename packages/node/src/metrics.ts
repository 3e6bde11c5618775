import { createServer, type Server } from 'node:http';
import { listen } from './listen.js';

/** Upper bounds (seconds) of the proving-time histogram's buckets. */
export const PROVE_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** A Prometheus histogram: cumulative bucket counts, sum and count. */
export class Histogram {
  readonly counts = PROVE_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(seconds: number) {
    PROVE_BUCKETS.forEach((b, i) => { if (seconds <= b) this.counts[i]! += 1; });
    this.sum += seconds;
    this.count += 1;
  }

  lines(name: string): string[] {
    return [
      ...PROVE_BUCKETS.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

/** One metric family in the Prometheus text exposition format (version 0.0.4). */
export function family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string, lines: string[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join('\n');
}

export type StatusServer = { url: string; close(): Promise<void> };

/**
 * Serves `/health` (JSON; 200 while healthy, 503 otherwise) and `/metrics` (Prometheus text)
 * on `host:port` (port 0 picks a free one).
 */
export async function serveStatus(
  p: { host?: string; port: number; health: () => { ok: boolean } & Record<string, unknown>; metrics: () => Promise<string> },
): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      const h = p.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    } else if (path === '/metrics') {
      p.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }); res.end(`${text}\n`); },
        (e: Error) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end(`metrics failed: ${e.message}\n`); },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /health or /metrics\n');
    }
  });
  return listen(server, p.port, p.host);
}
