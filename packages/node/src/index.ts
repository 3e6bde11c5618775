export { startNode, StoreMismatchError, type Job, type JobState, type Logger, type NodeOptions, type VerityNode } from './node.js';
export { JobStore, JOB_STATES, type StoredTx } from './store.js';
export { TxManager, type TxManagerOptions, type TxOutcome } from './txmanager.js';
export { ArtefactFetchError, ArtefactMismatchError, fetchArtefacts, packArtefacts, verifyAgainstRegistry, NODE_FILES } from './artefacts.js';
export { createLogger } from './log.js';
export { serveStatus, type StatusServer } from './metrics.js';
export { loadNodeConfig, loadWorkerConfig, runNode, runWorker, ConfigError, type NodeConfig, type ModelConfig, type WorkerConfig } from './config.js';
export { LocalProving, QueueProving, startProvingWorker, verificationKey, ProvingTimeoutError, WorkerArtefactMismatchError, WorkerProofError, type ProofResult, type ProofTask, type ProvingBackend, type ProvingWorker, type ProvingWorkerOptions, type QueueProvingOptions } from './proving.js';
