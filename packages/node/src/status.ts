import type { Address, PublicClient } from 'viem';
import { nodeRegistryAbi } from '@verity/sdk';
import { family, serveStatus, type StatusServer } from './metrics.js';
import type { ProvingBackend } from './proving.js';
import type { RequestScanner } from './scanner.js';
import type { NodeState } from './state.js';
import { JOB_STATES, type JobStore } from './store.js';

/** What the node's /health and /metrics read. */
export type NodeStatusSource = {
  publicClient: PublicClient; nodes: Address; operator: Address; chainId: number; pollMs: number;
  state: NodeState; store: JobStore; scanner: RequestScanner; proving: ProvingBackend;
};

/** /health: healthy while the last successful poll is recent (15 s, or 20 polls if longer). */
export function nodeHealth(s: NodeStatusSource): { ok: boolean } & Record<string, unknown> {
  const staleMs = Date.now() - s.state.lastPollOk;
  return {
    ok: staleMs < Math.max(15_000, s.pollMs * 20), operator: s.operator, chainId: s.chainId, head: s.state.head, cursor: s.scanner.cursor,
    lastPollAgoMs: staleMs, jobs: s.store.countByState(),
  };
}

/** /metrics: the node's jobs, proving times, wallet, stake, chain position, RPC errors and proving queue, as Prometheus text. */
export async function nodeMetrics(s: NodeStatusSource): Promise<string> {
  const { state, store, operator: me } = s;
  const counts = store.countByState();
  const [balance, operator, queue] = await Promise.all([
    s.publicClient.getBalance({ address: me }),
    s.publicClient.readContract({ address: s.nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [me] }),
    s.proving.stats(),
  ]);
  return [
    family('verity_jobs', 'gauge', 'Jobs in the store by state.', JOB_STATES.map((st) => `verity_jobs{state="${st}"} ${counts[st]}`)),
    family('verity_prove_seconds', 'histogram', 'Time to compute one proof (witness and Groth16), since the node started.', state.proveTimes.lines('verity_prove_seconds')),
    family('verity_wallet_balance_wei', 'gauge', 'The operator account balance.', [`verity_wallet_balance_wei ${balance}`]),
    family('verity_stake_wei', 'gauge', 'Stake bonded in the NodeRegistry.', [`verity_stake_wei ${operator.stake}`]),
    family('verity_slashed_wei', 'gauge', 'Stake slashed from this operator, in total.', [`verity_slashed_wei ${operator.slashed}`]),
    family('verity_agreed_fees_wei', 'gauge', 'Agreed-mode fee shares credited in the NodeRegistry, not yet withdrawn (withdrawFees).', [`verity_agreed_fees_wei ${operator.fees}`]),
    family('verity_served_total', 'counter', 'Requests this operator served (NodeRegistry counter).', [`verity_served_total ${operator.served}`]),
    family('verity_missed_total', 'counter', 'Requests this operator missed (NodeRegistry counter).', [`verity_missed_total ${operator.missed}`]),
    family('verity_chain_head', 'gauge', 'Latest block seen.', [`verity_chain_head ${state.head}`]),
    family('verity_cursor_block', 'gauge', 'Next block to scan for requests.', [`verity_cursor_block ${s.scanner.cursor}`]),
    family('verity_rpc_errors_total', 'counter', 'Failed polls of the RPC endpoint.', [`verity_rpc_errors_total ${state.rpcErrors}`]),
    family('verity_open_transactions', 'gauge', 'Transactions sent and not yet final.', [`verity_open_transactions ${store.openTxs().length}`]),
    ...(queue ? [
      family('verity_proving_queue', 'gauge', 'Proofs in the Redis queue by state (all of this node\'s models).', [`verity_proving_queue{state="waiting"} ${queue.waiting}`, `verity_proving_queue{state="active"} ${queue.active}`]),
      family('verity_proving_workers', 'gauge', 'Proving workers connected to the queue.', [`verity_proving_workers ${queue.workers}`]),
    ] : []),
  ].join('\n');
}

/** Serves the node's /health and /metrics on `port` (0: any free port). */
export function serveNodeStatus(s: NodeStatusSource, at: { port: number; host?: string }): Promise<StatusServer> {
  return serveStatus({ port: at.port, host: at.host, health: () => nodeHealth(s), metrics: () => nodeMetrics(s) });
}
