import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAddress, isHex, type Address, type Hex } from 'viem';
import { BaseError } from '@verity/errors';
import type { BackendChoice } from '@verity/zkml';
import type { ProviderConfig } from './providers.js';

/** One served model: its registry id and where its artefacts are. */
export type ModelConfig =
  /** artefacts fetched by content hash from `source` (a directory or an http(s) base URL) */
  | { modelId: Hex; artefacts: string; source: string }
  /** artefacts already in a local directory */
  | { modelId: Hex; dir: string };

/** The Groth16 engine for proved models: native (when built), snarkjs, or auto; `threads` caps the native prover. */
export type ProverConfig = { backend?: BackendChoice; threads?: number };

/** `verity node start --config FILE`: the JSON file, after environment overrides. */
export type NodeConfig = {
  rpc: string;
  /** the operator key: from VERITY_PRIVATE_KEY (keep keys out of config files) */
  privateKey: Hex;
  coprocessor: Address;
  models: ModelConfig[];
  /** SQLite job store (default `<config dir>/data/node.sqlite`) */
  store: string;
  /** content-addressed artefact cache (default `<config dir>/data/artefacts`) */
  artefactCache: string;
  pollMs?: number;
  maxBlockRange?: number;
  /** opt in on chain to serve every configured model not served yet (default true) */
  optIn?: boolean;
  /** blocks below the cursor re-read every poll to catch reorged requests (default 12) */
  reorgDepth?: number;
  /** the contracts' deployment block: event look-ups never read below it */
  deploymentBlock?: number;
  confirmations?: number;
  bumpAfterMs?: number;
  maxAttempts?: number;
  /** batched fulfilment (default `{ maxSize: 16, waitMs: 2000 }`; false: one `fulfill` per request) */
  batch?: false | { maxSize?: number; waitMs?: number };
  /** first block to scan on a fresh store (default: the head) */
  fromBlock?: number;
  status?: { port: number; host?: string };
  /** prove on `verity node worker` processes behind Redis instead of in this process */
  proving?: { redis: string; concurrency?: number; timeoutMs?: number };
  /** agreed-mode models this node validates, each with its provider */
  agreed?: { modelId: Hex; provider: ProviderConfig }[];
  /** the Groth16 engine (default VERITY_PROVER, else native when built) */
  prover?: ProverConfig;
};

/** `verity node worker --config FILE`: a proving worker needs Redis and the artefacts, no key, no RPC. */
export type WorkerConfig = {
  redis: string;
  models: ModelConfig[];
  artefactCache: string;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  name?: string;
  prover?: ProverConfig;
};

/** The node configuration is missing a field or has a wrong one. */
export class ConfigError extends BaseError {
  override name = 'ConfigError';
  constructor({ field, problem, source }: { field: string; problem: string; source: string }) {
    super(`node config ${source}: ${field} ${problem}`, {
      details: 'See "Running a node" in the README for every field; environment variables VERITY_RPC_URL, VERITY_PRIVATE_KEY, VERITY_COPROCESSOR, VERITY_STORE, VERITY_STATUS_PORT and VERITY_REDIS_URL override the file.',
    });
  }
}

/** A config file's JSON and the field checks the node and the worker configs share. */
function reader(file: string) {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError({ field: 'file', problem: `cannot be read as JSON (${(e as Error).message})`, source: file });
  }
  const base = dirname(resolve(file));
  const fail = (field: string, problem: string): never => { throw new ConfigError({ field, problem, source: file }); };
  const num = (field: string, v: unknown, min = 0) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const redis = (field: string, v: unknown) => {
    if (typeof v !== 'string' || !/^rediss?:\/\//.test(v)) fail(field, 'must be a redis:// or rediss:// URL (or set VERITY_REDIS_URL)');
    return v as string;
  };
  const modelId = (field: string, v: unknown) => {
    if (typeof v !== 'string' || !isHex(v) || v.length !== 66) fail(field, 'must be a bytes32 model id');
    return v as Hex;
  };
  const models = (allowEmpty = false) => {
    if (allowEmpty && raw.models === undefined) return [];
    if (!Array.isArray(raw.models) || (raw.models.length === 0 && !allowEmpty)) fail('models', allowEmpty ? 'must be a list of proved models' : 'must list at least one model');
    return (raw.models as Record<string, unknown>[]).map((m, i): ModelConfig => {
      modelId(`models[${i}].modelId`, m.modelId);
      if (typeof m.artefacts === 'string') {
        if (!/^sha256:[0-9a-f]{64}$/.test(m.artefacts)) fail(`models[${i}].artefacts`, 'must be a content hash sha256:<64 hex digits> (printed by `verity node pack`)');
        if (typeof m.source !== 'string') fail(`models[${i}].source`, 'must be a directory or an http(s) URL to fetch the artefacts from');
        const source = /^https?:\/\//.test(m.source as string) ? (m.source as string) : resolve(base, m.source as string);
        return { modelId: m.modelId as Hex, artefacts: m.artefacts, source };
      }
      if (typeof m.dir === 'string') return { modelId: m.modelId as Hex, dir: resolve(base, m.dir) };
      return fail(`models[${i}]`, 'needs either artefacts + source (fetched by content hash) or dir');
    });
  };
  /** `agreed`: `[{ modelId, provider: { type: 'builtin' } | { type: 'onnx', path, inputShape? } | { type: 'openai', baseUrl, model, apiKeyEnv?, timeoutMs?, retries?, maxTokens? } }]` */
  const agreed = (): { modelId: Hex; provider: ProviderConfig }[] | undefined => {
    const v = raw.agreed;
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0) fail('agreed', 'must list at least one { modelId, provider }');
    return (v as Record<string, unknown>[]).map((m, i) => {
      const id = modelId(`agreed[${i}].modelId`, m.modelId);
      const p = m.provider as Record<string, unknown> | undefined;
      if (p?.type === 'builtin') return { modelId: id, provider: { type: 'builtin' } };
      if (p?.type === 'onnx') {
        if (typeof p.path !== 'string') fail(`agreed[${i}].provider.path`, 'must be the ONNX file the model owner published');
        if (p.inputShape !== undefined && (!Array.isArray(p.inputShape) || !p.inputShape.every((d) => Number.isInteger(d) && d > 0))) fail(`agreed[${i}].provider.inputShape`, 'must be a list of positive integers');
        return { modelId: id, provider: { type: 'onnx', path: resolve(base, p.path as string), inputShape: p.inputShape as number[] | undefined } };
      }
      if (p?.type !== 'openai') return fail(`agreed[${i}].provider.type`, 'must be "builtin", "onnx" or "openai"');
      if (typeof p.baseUrl !== 'string' || !/^https?:\/\//.test(p.baseUrl)) fail(`agreed[${i}].provider.baseUrl`, 'must be the http(s) API base, e.g. http://localhost:11434/v1');
      if (typeof p.model !== 'string' || p.model === '') fail(`agreed[${i}].provider.model`, 'must name the model, e.g. llama3.1:8b');
      if (p.apiKeyEnv !== undefined && typeof p.apiKeyEnv !== 'string') fail(`agreed[${i}].provider.apiKeyEnv`, 'must name an environment variable holding the API key');
      const field = (k: string) => num(`agreed[${i}].provider.${k}`, p[k]);
      return {
        modelId: id,
        provider: { type: 'openai', baseUrl: p.baseUrl as string, model: p.model as string, apiKeyEnv: p.apiKeyEnv as string | undefined, timeoutMs: field('timeoutMs'), retries: field('retries'), maxTokens: field('maxTokens') },
      };
    });
  };
  /** the content-addressed artefact cache (default `<config dir>/data/artefacts`) */
  const artefactCache = () => resolve(base, (raw.artefactCache as string | undefined) ?? 'data/artefacts');
  const prover = (): ProverConfig | undefined => {
    if (raw.prover === undefined) return undefined;
    const p = raw.prover as Record<string, unknown>;
    if (typeof p !== 'object' || p === null) return fail('prover', 'must be an object { backend?, threads? }');
    if (p.backend !== undefined && !['native', 'snarkjs', 'auto'].includes(p.backend as string)) fail('prover.backend', 'must be native, snarkjs or auto');
    return { backend: p.backend as BackendChoice | undefined, threads: num('prover.threads', p.threads, 1) };
  };
  return { raw, base, fail, num, redis, models, agreed, artefactCache, prover };
}

/**
 * Reads a node config file and applies the environment: VERITY_RPC_URL, VERITY_PRIVATE_KEY
 * (required), VERITY_COPROCESSOR, VERITY_STORE, VERITY_STATUS_PORT, VERITY_REDIS_URL. Relative paths are
 * resolved against the file's directory. Every field is checked; a problem is a
 * {@link ConfigError} naming the field.
 */
export function loadNodeConfig(file: string, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const { raw, base, fail, num, redis, models, agreed: agreedModels, artefactCache, prover } = reader(file);
  const rpc = env.VERITY_RPC_URL ?? raw.rpc;
  if (typeof rpc !== 'string' || !/^(https?|wss?):\/\//.test(rpc)) fail('rpc', 'must be an http(s) or ws(s) URL (or set VERITY_RPC_URL)');
  const privateKey = env.VERITY_PRIVATE_KEY ?? raw.privateKey;
  if (typeof privateKey !== 'string' || !isHex(privateKey) || privateKey.length !== 66) fail('privateKey', 'must be set as VERITY_PRIVATE_KEY: a 0x-prefixed 32-byte hex key');
  const coprocessor = env.VERITY_COPROCESSOR ?? raw.coprocessor;
  if (typeof coprocessor !== 'string' || !isAddress(coprocessor)) fail('coprocessor', 'must be the Coprocessor contract address');
  const statusPort = env.VERITY_STATUS_PORT !== undefined ? Number(env.VERITY_STATUS_PORT) : (raw.status as { port?: number } | undefined)?.port;
  num('status.port', statusPort);
  const p = (raw.proving ?? {}) as Record<string, unknown>;
  if (typeof p !== 'object') fail('proving', 'must be an object { redis, concurrency?, timeoutMs? }');
  const agreed = agreedModels();
  const redisUrl = env.VERITY_REDIS_URL ?? p.redis;
  const proving = redisUrl === undefined ? undefined : {
    redis: redis('proving.redis', redisUrl), concurrency: num('proving.concurrency', p.concurrency, 1), timeoutMs: num('proving.timeoutMs', p.timeoutMs, 1000),
  };
  return {
    rpc: rpc as string, privateKey: privateKey as Hex, coprocessor: coprocessor as Address, models: models(agreed !== undefined), proving, agreed,
    store: resolve(base, env.VERITY_STORE ?? (raw.store as string | undefined) ?? 'data/node.sqlite'),
    artefactCache: artefactCache(),
    pollMs: num('pollMs', raw.pollMs, 10), maxBlockRange: num('maxBlockRange', raw.maxBlockRange, 1),
    reorgDepth: num('reorgDepth', raw.reorgDepth), deploymentBlock: num('deploymentBlock', raw.deploymentBlock),
    optIn: raw.optIn === undefined ? undefined : typeof raw.optIn === 'boolean' ? raw.optIn : fail('optIn', 'must be true or false'),
    confirmations: num('confirmations', raw.confirmations, 1), bumpAfterMs: num('bumpAfterMs', raw.bumpAfterMs, 100),
    maxAttempts: num('maxAttempts', raw.maxAttempts, 1), fromBlock: num('fromBlock', raw.fromBlock),
    batch: batchConfig(raw.batch, fail, num),
    status: statusPort === undefined ? undefined : { port: statusPort, host: (raw.status as { host?: string } | undefined)?.host },
    prover: prover(),
  };
}

/** `batch`: false, or `{ maxSize?, waitMs? }`. */
function batchConfig(raw: unknown, fail: (field: string, problem: string) => never, num: (field: string, v: unknown, min?: number) => number | undefined): NodeConfig['batch'] {
  if (raw === undefined || raw === false) return raw;
  if (typeof raw !== 'object' || raw === null) return fail('batch', 'must be false or an object { maxSize?, waitMs? }');
  const b = raw as Record<string, unknown>;
  return { maxSize: num('batch.maxSize', b.maxSize, 1), waitMs: num('batch.waitMs', b.waitMs, 0) };
}

/**
 * Reads a proving worker's config file: `redis` (or VERITY_REDIS_URL), `models` as in a node
 * config, and optionally `concurrency`, `lockDurationMs`, `stalledIntervalMs`, `name`,
 * `artefactCache`. A problem is a {@link ConfigError} naming the field.
 */
export function loadWorkerConfig(file: string, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const { raw, fail, num, redis, models, artefactCache, prover } = reader(file);
  if (raw.name !== undefined && typeof raw.name !== 'string') fail('name', 'must be a string');
  return {
    redis: redis('redis', env.VERITY_REDIS_URL ?? raw.redis), models: models(), artefactCache: artefactCache(),
    concurrency: num('concurrency', raw.concurrency, 1), lockDurationMs: num('lockDurationMs', raw.lockDurationMs, 1000),
    stalledIntervalMs: num('stalledIntervalMs', raw.stalledIntervalMs, 500), name: raw.name as string | undefined, prover: prover(),
  };
}
