import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Hex } from 'viem';

/**
 * Where a job is. `queued` and `waiting` wait for work; `proving` is re-queued after a
 * crash (proofs are recomputed, never half-kept); `proved` holds its proof in the store and
 * waits to be fulfilled with others of its model in one `fulfillBatch`; `submitting` has a signed transaction in
 * the store that the transaction manager broadcasts and watches; `fulfilled` is final
 * once the fulfilment has its confirmations; `skipped` means the chain settled the request
 * otherwise (another node served it, or it was refunded); `reorged` means its Requested event
 * left the chain before the node served it: the job is queued again if the request comes back.
 */
export type JobState = 'queued' | 'waiting' | 'proving' | 'proved' | 'submitting' | 'fulfilled' | 'skipped' | 'failed' | 'reorged';
export const JOB_STATES: readonly JobState[] = ['queued', 'waiting', 'proving', 'proved', 'submitting', 'fulfilled', 'skipped', 'failed', 'reorged'];

/** States in which a job has not been served yet: a reorg may still change or remove its request. */
export const OPEN_STATES: readonly JobState[] = ['queued', 'waiting', 'proving', 'proved', 'reorged'];

/** One request the node works on, with what it measured. */
export type Job = {
  requestId: bigint;
  modelId: Hex;
  input: Hex;
  /** block of the Requested event */
  block: bigint;
  /** when the node first saw the request (ms since epoch) */
  requestedAt: number;
  state: JobState;
  /** not before this time (ms since epoch): another node's exclusive window, or a retry's backoff */
  notBefore?: number;
  attempts: number;
  proveMs?: number;
  fulfilTx?: Hex;
  fulfilGasUsed?: bigint;
  outputs?: number[];
  /** the proof and public signals submitted (for audit and gas measurement) */
  proof?: unknown;
  publicSignals?: string[];
  error?: string;
  updatedAt: number;
};

/** What a transaction is for: a request's fulfilment, its `assign`, a Committee action, or an opt-in to serve a model (request 0). */
export type TxKind = 'fulfil' | 'assign' | 'committee' | 'serve';

/** A signed transaction, stored before it is broadcast. Replacements share a nonce. */
export type StoredTx = {
  hash: Hex;
  requestId: bigint;
  kind: TxKind;
  /** a `fulfillBatch`: the batch's other request ids (`requestId` is its first) */
  batch?: bigint[];
  nonce: number;
  raw: Hex;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** pending: sent or to send; mined: has a receipt in `block`; confirmed: final; replaced: a later attempt at the nonce won; dropped: given up */
  state: 'pending' | 'mined' | 'confirmed' | 'replaced' | 'dropped';
  block?: bigint;
  status?: 'success' | 'reverted';
  gasUsed?: bigint;
  sentAt: number;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  request_id TEXT PRIMARY KEY, model_id TEXT NOT NULL, input TEXT NOT NULL, block TEXT NOT NULL,
  requested_at INTEGER NOT NULL, state TEXT NOT NULL, not_before INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
  prove_ms REAL, fulfil_tx TEXT, fulfil_gas_used TEXT, outputs TEXT, proof TEXT, public_signals TEXT,
  error TEXT, updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS txs (
  hash TEXT PRIMARY KEY, request_id TEXT NOT NULL, nonce INTEGER NOT NULL, raw TEXT NOT NULL,
  max_fee TEXT NOT NULL, priority_fee TEXT NOT NULL, state TEXT NOT NULL, block TEXT,
  status TEXT, gas_used TEXT, sent_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_state ON txs(state);
CREATE INDEX IF NOT EXISTS txs_nonce ON txs(nonce);
`;

/** Columns added since the first schema, with their defaults for older stores. */
const ADDED_COLUMNS = [['txs', 'kind', "TEXT NOT NULL DEFAULT 'fulfil'"], ['txs', 'batch', 'TEXT']] as const;

type JobRow = {
  request_id: string; model_id: string; input: string; block: string; requested_at: number; state: string; not_before: number | null;
  attempts: number; prove_ms: number | null; fulfil_tx: string | null; fulfil_gas_used: string | null; outputs: string | null;
  proof: string | null; public_signals: string | null; error: string | null; updated_at: number;
};
type TxRow = {
  hash: string; request_id: string; kind: string; batch: string | null; nonce: number; raw: string; max_fee: string; priority_fee: string; state: string;
  block: string | null; status: string | null; gas_used: string | null; sent_at: number;
};

const fromJobRow = (r: JobRow): Job => ({
  requestId: BigInt(r.request_id), modelId: r.model_id as Hex, input: r.input as Hex, block: BigInt(r.block),
  requestedAt: r.requested_at, state: r.state as JobState, notBefore: r.not_before ?? undefined, attempts: r.attempts,
  proveMs: r.prove_ms ?? undefined, fulfilTx: (r.fulfil_tx ?? undefined) as Hex | undefined,
  fulfilGasUsed: r.fulfil_gas_used === null ? undefined : BigInt(r.fulfil_gas_used),
  outputs: r.outputs === null ? undefined : JSON.parse(r.outputs), proof: r.proof === null ? undefined : JSON.parse(r.proof),
  publicSignals: r.public_signals === null ? undefined : JSON.parse(r.public_signals), error: r.error ?? undefined, updatedAt: r.updated_at,
});

const fromTxRow = (r: TxRow): StoredTx => ({
  hash: r.hash as Hex, requestId: BigInt(r.request_id), kind: r.kind as TxKind, ...(r.batch === null ? {} : { batch: (JSON.parse(r.batch) as string[]).map(BigInt) }), nonce: r.nonce, raw: r.raw as Hex, maxFeePerGas: BigInt(r.max_fee),
  maxPriorityFeePerGas: BigInt(r.priority_fee), state: r.state as StoredTx['state'], block: r.block === null ? undefined : BigInt(r.block),
  status: (r.status ?? undefined) as StoredTx['status'], gasUsed: r.gas_used === null ? undefined : BigInt(r.gas_used), sentAt: r.sent_at,
});

/**
 * The node's durable state in one SQLite file (WAL, synchronous FULL): the block cursor,
 * every job and every signed transaction. Each write is committed before the node acts on
 * it, so a node killed at any instant restarts from what it had done.
 *
 * @example
 * const store = openStore('data/node.sqlite')
 * store.cursor() // next block to scan, or undefined on first start
 */
export class JobStore {
  readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    for (const [table, column, type] of ADDED_COLUMNS) {
      const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!columns.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
  }

  close() {
    this.db.close();
  }

  /** A value of the meta table (chain id, coprocessor, operator, cursor). */
  meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string) {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Next block to scan for events; undefined before the first scan. */
  cursor(): bigint | undefined {
    const v = this.meta('cursor');
    return v === undefined ? undefined : BigInt(v);
  }

  /** Records new jobs and the advanced cursor in one transaction: a crash keeps both or neither. */
  addJobsAndAdvance(jobs: readonly Job[], cursor: bigint): Job[] {
    const insert = this.db.prepare(`INSERT OR IGNORE INTO jobs (request_id, model_id, input, block, requested_at, state, attempts, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 0, ?)`);
    const added: Job[] = [];
    this.db.transaction(() => {
      for (const j of jobs) {
        if (insert.run(j.requestId.toString(), j.modelId, j.input, j.block.toString(), j.requestedAt, j.state, j.updatedAt).changes > 0) added.push(j);
      }
      this.setMeta('cursor', cursor.toString());
    })();
    return added;
  }

  /**
   * Records what a scan of `[from, to]` found, in one transaction with the cursor: new
   * requests become queued jobs; a job whose request is found with another model or input (a
   * reorg swapped requests with the same sequential id) takes the new one and is queued again;
   * a job still open whose request was in `[from, to]` and is no longer found is marked
   * `reorged` (queued again if its request comes back). Served or settled jobs are not touched.
   */
  reconcileScan(found: readonly Job[], range: { from: bigint; to: bigint }, cursor: bigint): { added: Job[]; changed: Job[]; reorged: Job[] } {
    const added: Job[] = [], changed: Job[] = [], reorged: Job[] = [];
    const insert = this.db.prepare(`INSERT INTO jobs (request_id, model_id, input, block, requested_at, state, attempts, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 0, ?)`);
    const move = this.db.prepare(`UPDATE jobs SET model_id = ?, input = ?, block = ?, state = ?, not_before = NULL, attempts = ?, error = ?, updated_at = ? WHERE request_id = ?`);
    const open = new Set<string>(OPEN_STATES);
    this.db.transaction(() => {
      const ids = new Set(found.map((j) => j.requestId));
      for (const j of found) {
        const old = this.job(j.requestId);
        if (!old) {
          insert.run(j.requestId.toString(), j.modelId, j.input, j.block.toString(), j.requestedAt, j.state, j.updatedAt);
          added.push(j);
        } else if (open.has(old.state) && (old.input !== j.input || old.modelId.toLowerCase() !== j.modelId.toLowerCase() || old.block !== j.block || old.state === 'reorged')) {
          const different = old.input !== j.input || old.modelId.toLowerCase() !== j.modelId.toLowerCase();
          const state = old.state === 'reorged' || different ? 'queued' : old.state;
          const error = different ? `the request changed in a reorg (block ${old.block} -> ${j.block})` : old.state === 'reorged' ? 'the request came back after a reorg' : (old.error ?? null);
          move.run(j.modelId, j.input, j.block.toString(), state, different ? 0 : old.attempts, error, Date.now(), j.requestId.toString());
          changed.push(this.job(j.requestId)!);
        }
      }
      const inRange = this.db.prepare(`SELECT * FROM jobs WHERE state IN ('queued', 'waiting', 'proving', 'proved') AND CAST(block AS INTEGER) BETWEEN ? AND ?`)
        .all(range.from.toString(), range.to.toString()) as JobRow[];
      for (const r of inRange.map(fromJobRow)) {
        if (ids.has(r.requestId)) continue;
        reorged.push(this.updateJob(r.requestId, { state: 'reorged', error: `the request left the chain in a reorg (it was in block ${r.block})` }));
      }
      this.setMeta('cursor', cursor.toString());
    })();
    return { added, changed, reorged };
  }

  job(requestId: bigint): Job | undefined {
    const r = this.db.prepare('SELECT * FROM jobs WHERE request_id = ?').get(requestId.toString()) as JobRow | undefined;
    return r && fromJobRow(r);
  }

  jobs(states?: readonly JobState[]): Job[] {
    const rows = states
      ? (this.db.prepare(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY CAST(request_id AS INTEGER)`).all(...states) as JobRow[])
      : (this.db.prepare('SELECT * FROM jobs ORDER BY CAST(request_id AS INTEGER)').all() as JobRow[]);
    return rows.map(fromJobRow);
  }

  countByState(): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[]) counts[r.state] = r.n;
    return counts;
  }

  /** Writes the fields of `patch` to the job and returns the updated job. */
  updateJob(requestId: bigint, patch: Partial<Omit<Job, 'requestId'>>): Job {
    const cols: Record<string, unknown> = {};
    const put = (k: string, v: unknown) => { cols[k] = v; };
    for (const [k, v] of Object.entries(patch)) {
      switch (k) {
        case 'state': put('state', v); break;
        case 'modelId': put('model_id', v); break;
        case 'input': put('input', v); break;
        case 'block': put('block', String(v)); break;
        case 'notBefore': put('not_before', v ?? null); break;
        case 'attempts': put('attempts', v); break;
        case 'proveMs': put('prove_ms', v ?? null); break;
        case 'fulfilTx': put('fulfil_tx', v ?? null); break;
        case 'fulfilGasUsed': put('fulfil_gas_used', v === undefined ? null : String(v)); break;
        case 'outputs': put('outputs', v === undefined ? null : JSON.stringify(v)); break;
        case 'proof': put('proof', v === undefined ? null : JSON.stringify(v)); break;
        case 'publicSignals': put('public_signals', v === undefined ? null : JSON.stringify(v)); break;
        case 'error': put('error', v ?? null); break;
        default: throw new Error(`job field ${k} cannot be updated`);
      }
    }
    put('updated_at', Date.now());
    const keys = Object.keys(cols);
    this.db.prepare(`UPDATE jobs SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE request_id = ?`).run(...keys.map((k) => cols[k]), requestId.toString());
    return this.job(requestId)!;
  }

  /** Stores a signed transaction (before it is broadcast). */
  addTx(tx: StoredTx) {
    this.db.prepare(`INSERT INTO txs (hash, request_id, kind, batch, nonce, raw, max_fee, priority_fee, state, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(tx.hash, tx.requestId.toString(), tx.kind, tx.batch ? JSON.stringify(tx.batch.map(String)) : null, tx.nonce, tx.raw, tx.maxFeePerGas.toString(), tx.maxPriorityFeePerGas.toString(), tx.state, tx.sentAt);
  }

  updateTx(hash: Hex, patch: Partial<Pick<StoredTx, 'state' | 'block' | 'status' | 'gasUsed' | 'sentAt'>>) {
    const cols: [string, unknown][] = [];
    if ('state' in patch) cols.push(['state', patch.state]);
    if ('block' in patch) cols.push(['block', patch.block === undefined ? null : patch.block.toString()]);
    if ('status' in patch) cols.push(['status', patch.status ?? null]);
    if ('gasUsed' in patch) cols.push(['gas_used', patch.gasUsed === undefined ? null : patch.gasUsed.toString()]);
    if ('sentAt' in patch) cols.push(['sent_at', patch.sentAt]);
    this.db.prepare(`UPDATE txs SET ${cols.map(([k]) => `${k} = ?`).join(', ')} WHERE hash = ?`).run(...cols.map(([, v]) => v), hash);
  }

  /** Every attempt at one nonce, oldest first. */
  txsAtNonce(nonce: number): StoredTx[] {
    return (this.db.prepare('SELECT * FROM txs WHERE nonce = ? ORDER BY sent_at, rowid').all(nonce) as TxRow[]).map(fromTxRow);
  }

  /** Transactions not yet final (pending or mined without enough confirmations), by nonce. */
  openTxs(): StoredTx[] {
    return (this.db.prepare(`SELECT * FROM txs WHERE state IN ('pending', 'mined') ORDER BY nonce, sent_at, rowid`).all() as TxRow[]).map(fromTxRow);
  }

  /** A request's transactions (of one kind, when given), oldest first: its own and the batches it is in. */
  txsForRequest(requestId: bigint, kind?: TxKind): StoredTx[] {
    const id = requestId.toString();
    const all = (this.db.prepare(`SELECT * FROM txs WHERE request_id = ? OR batch LIKE ? ORDER BY nonce, sent_at, rowid`).all(id, `%"${id}"%`) as TxRow[]).map(fromTxRow);
    return kind ? all.filter((t) => t.kind === kind) : all;
  }

  /** Highest nonce the store has used, if any. */
  maxNonce(): number | undefined {
    const r = this.db.prepare(`SELECT MAX(nonce) AS n FROM txs WHERE state != 'dropped'`).get() as { n: number | null };
    return r.n ?? undefined;
  }
}
