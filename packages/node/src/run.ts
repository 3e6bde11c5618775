import { connect } from '@verity/sdk';
import { fetchArtefacts } from './artefacts.js';
import type { ModelConfig, NodeConfig, WorkerConfig } from './config.js';
import { createLogger } from './log.js';
import { startNode, type VerityNode } from './node.js';
import { startProvingWorker } from './proving.js';
import { createProvider } from './providers.js';

// `verity node start` and `verity node worker`: a node or a proving worker from its config, run until a signal.

/** Artefact directories for configured models: local ones as they are, the rest fetched by content hash. */
async function modelDirs(models: ModelConfig[], cacheDir: string, log: ReturnType<typeof createLogger>) {
  const dirs = [];
  for (const m of models) {
    if ('dir' in m) {
      dirs.push({ modelId: m.modelId, dir: m.dir });
    } else {
      log.info({ modelId: m.modelId, artefacts: m.artefacts, source: m.source }, 'fetching model artefacts');
      dirs.push({ modelId: m.modelId, dir: await fetchArtefacts({ source: m.source, hash: m.artefacts, cacheDir }) });
    }
  }
  return dirs;
}

/** Resolves on SIGINT, SIGTERM or `signal`. */
const untilStopped = (signal?: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => resolve();
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
  signal?.addEventListener('abort', done);
});

/**
 * Runs a proving worker from its config until SIGINT or SIGTERM (the proof in hand is
 * finished first).
 */
export async function runWorker(config: WorkerConfig, options: { signal?: AbortSignal } = {}): Promise<void> {
  const log = createLogger();
  const models = await modelDirs(config.models, config.artefactCache, log);
  const worker = await startProvingWorker({ ...config, models, logger: log });
  await untilStopped(options.signal);
  log.info('stopping: finishing the proof in hand');
  await worker.close();
  log.info('stopped');
}

/**
 * Runs a node from its config until SIGINT or SIGTERM: fetches and verifies each model's
 * artefacts, opens the store, starts serving. Returns once the node has stopped cleanly.
 */
export async function runNode(config: NodeConfig, options: { signal?: AbortSignal } = {}): Promise<void> {
  const log = createLogger();
  const { publicClient, wallet } = await connect(config.rpc, { pollingInterval: config.pollMs ?? 500 });
  const models = await modelDirs(config.models, config.artefactCache, log);
  const node: VerityNode = await startNode({
    publicClient, wallet: wallet(config.privateKey), coprocessor: config.coprocessor, models, store: config.store,
    pollMs: config.pollMs, maxBlockRange: config.maxBlockRange === undefined ? undefined : BigInt(config.maxBlockRange),
    optIn: config.optIn, reorgDepth: config.reorgDepth, deploymentBlock: config.deploymentBlock === undefined ? undefined : BigInt(config.deploymentBlock),
    confirmations: config.confirmations, bumpAfterMs: config.bumpAfterMs, maxAttempts: config.maxAttempts, batch: config.batch,
    fromBlock: config.fromBlock === undefined ? undefined : BigInt(config.fromBlock),
    statusPort: config.status?.port, statusHost: config.status?.host, proving: config.proving, prover: config.prover, logger: log,
    agreed: config.agreed ? { models: config.agreed.map((m) => ({ modelId: m.modelId, provider: createProvider(m.provider) })) } : undefined,
  });
  await untilStopped(options.signal);
  log.info('stopping: finishing the job in hand');
  await node.stop();
  log.info('stopped');
}
