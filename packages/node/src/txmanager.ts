import { keccak256, parseTransaction, TransactionReceiptNotFoundError, type Address, type Hex, type LocalAccount, type PublicClient, type TransactionReceipt } from 'viem';
import type { Logger } from './log.js';
import type { JobStore, StoredTx, TxKind } from './store.js';

export type TxManagerOptions = {
  publicClient: PublicClient;
  /** a local account (it signs; the raw transaction is stored before it is broadcast) */
  account: LocalAccount;
  chainId: number;
  store: JobStore;
  log: Logger;
  /** blocks on top of the including block before a transaction is final (1 = included) */
  confirmations?: number;
  /** a pending transaction is re-signed with higher fees after this long (ms) */
  bumpAfterMs?: number;
  /** a pending transaction is broadcast again after this long (ms), in case a mempool lost it */
  rebroadcastMs?: number;
  /** fees are never bumped above this (wei per gas) */
  maxFeeCap?: bigint;
};

/** What happened to a transaction the manager watches. */
export type TxOutcome = { tx: StoredTx; receipt?: TransactionReceipt; event: 'mined' | 'confirmed' | 'reorged' };

/** Bump factor for a replacement: nodes require at least +10% on both fee fields. */
const bump = (v: bigint) => (v * 1125n) / 1000n + 1n;

/**
 * Sends and watches the node's transactions so that none is lost or doubled:
 * - each transaction is signed locally and stored (with its nonce) before it is broadcast;
 * - nonces come from the store and the chain's pending count, whichever is higher;
 * - a transaction still pending after `bumpAfterMs` is replaced at the same nonce with
 *   fees raised 12.5%, and every attempt is watched until one is mined;
 * - a mined transaction is final after `confirmations` blocks; if its receipt disappears
 *   first (a reorg), the stored raw transaction is broadcast again: same nonce, so it can be
 *   included at most once.
 * After a crash, {@link tick} re-broadcasts whatever the store holds as pending.
 */
export class TxManager {
  readonly confirmations: number;
  /** when each transaction was last broadcast by this process (0 after a restart: sent again at once) */
  private readonly lastBroadcast = new Map<Hex, number>();
  private readonly o: Required<Omit<TxManagerOptions, 'maxFeeCap'>> & { maxFeeCap?: bigint };

  constructor(options: TxManagerOptions) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TxManagerOptions;
    this.o = { confirmations: 1, bumpAfterMs: 15_000, rebroadcastMs: 5_000, ...given };
    this.confirmations = this.o.confirmations;
  }

  get address(): Address {
    return this.o.account.address;
  }

  /** Sends run one after another: each takes the next nonce. */
  private sending: Promise<unknown> = Promise.resolve();

  /**
   * Signs, stores, then broadcasts a transaction for `requestId` (a fulfilment unless `kind`
   * says otherwise; `batch`: the other requests a `fulfillBatch` serves); returns it as stored.
   */
  send(requestId: bigint, call: { to: Address; data: Hex; gas: bigint }, kind: TxKind = 'fulfil', batch?: bigint[]): Promise<StoredTx> {
    const next = this.sending.catch(() => {}).then(() => this.sendNow(requestId, call, kind, batch));
    this.sending = next;
    return next;
  }

  private async sendNow(requestId: bigint, call: { to: Address; data: Hex; gas: bigint }, kind: TxKind, batch?: bigint[]): Promise<StoredTx> {
    const { publicClient, store } = this.o;
    const chainNonce = await publicClient.getTransactionCount({ address: this.address, blockTag: 'pending' });
    const used = store.maxNonce();
    const nonce = Math.max(chainNonce, used === undefined ? 0 : used + 1);
    const fees = await publicClient.estimateFeesPerGas();
    const tx = await this.sign({ requestId, kind, batch, nonce, call, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas });
    await this.broadcast(tx);
    return tx;
  }

  private async sign(p: { requestId: bigint; kind: TxKind; batch?: bigint[]; nonce: number; call: { to: Address; data: Hex; gas: bigint }; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<StoredTx> {
    const raw = await this.o.account.signTransaction({
      chainId: this.o.chainId, type: 'eip1559', to: p.call.to, data: p.call.data, gas: p.call.gas, nonce: p.nonce,
      maxFeePerGas: p.maxFeePerGas, maxPriorityFeePerGas: p.maxPriorityFeePerGas, value: 0n,
    });
    const tx: StoredTx = {
      hash: keccak256(raw), requestId: p.requestId, kind: p.kind, ...(p.batch ? { batch: p.batch } : {}), nonce: p.nonce, raw, maxFeePerGas: p.maxFeePerGas,
      maxPriorityFeePerGas: p.maxPriorityFeePerGas, state: 'pending', sentAt: Date.now(),
    };
    // Durable before it leaves the process: a crash after this line re-broadcasts it.
    this.o.store.addTx(tx);
    this.o.log.info({ requestId: tx.requestId.toString(), kind: tx.kind, tx: tx.hash, nonce: tx.nonce, maxFeePerGas: tx.maxFeePerGas.toString() }, 'transaction stored');
    return tx;
  }

  private async broadcast(tx: StoredTx) {
    this.lastBroadcast.set(tx.hash, Date.now());
    try {
      await this.o.publicClient.sendRawTransaction({ serializedTransaction: tx.raw });
      this.o.log.info({ requestId: tx.requestId.toString(), tx: tx.hash, nonce: tx.nonce }, 'transaction broadcast');
    } catch (e) {
      const msg = (e as { details?: string; shortMessage?: string; message: string }).details ?? (e as Error).message;
      // Known to the mempool already, or the nonce is used (by this or another attempt): tick() finds out which.
      if (/already known|already imported|nonce too low|replacement transaction underpriced/i.test(msg)) {
        this.o.log.debug({ tx: tx.hash, reason: msg }, 'broadcast not needed');
        return;
      }
      throw e;
    }
  }

  /** Receipt of `hash`, or undefined while it has none. */
  private async receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.o.publicClient.getTransactionReceipt({ hash });
    } catch (e) {
      if (e instanceof TransactionReceiptNotFoundError) return undefined;
      throw e;
    }
  }

  /**
   * Brings every open transaction one step on: records receipts, counts confirmations,
   * re-broadcasts reorged-out or lost transactions, bumps stuck ones. Returns what happened.
   */
  async tick(head: bigint): Promise<TxOutcome[]> {
    const { store, log } = this.o;
    const outcomes: TxOutcome[] = [];
    const byNonce = new Map<number, StoredTx[]>();
    for (const tx of store.openTxs()) byNonce.set(tx.nonce, [...(byNonce.get(tx.nonce) ?? []), tx]);
    for (const [nonce, open] of byNonce) {
      const attempts = store.txsAtNonce(nonce).filter((t) => t.state !== 'dropped');
      let included: { tx: StoredTx; receipt: TransactionReceipt } | undefined;
      for (const tx of attempts) {
        const receipt = await this.receipt(tx.hash);
        if (receipt) included = { tx, receipt };
      }
      if (included) {
        const { tx, receipt } = included;
        for (const other of attempts) if (other.hash !== tx.hash && other.state !== 'replaced') store.updateTx(other.hash, { state: 'replaced' });
        const depth = head - receipt.blockNumber + 1n;
        const final = depth >= BigInt(this.o.confirmations);
        const state = final ? 'confirmed' : 'mined';
        if (tx.state !== state || tx.block !== receipt.blockNumber) {
          store.updateTx(tx.hash, { state, block: receipt.blockNumber, status: receipt.status, gasUsed: receipt.gasUsed });
          const updated = { ...tx, state, block: receipt.blockNumber, status: receipt.status, gasUsed: receipt.gasUsed } as StoredTx;
          if (tx.state === 'pending') outcomes.push({ tx: updated, receipt, event: 'mined' });
          if (final) outcomes.push({ tx: updated, receipt, event: 'confirmed' });
          log.info({ requestId: tx.requestId.toString(), tx: tx.hash, block: receipt.blockNumber.toString(), status: receipt.status, confirmations: depth.toString() }, final ? 'transaction confirmed' : 'transaction mined');
        }
        continue;
      }
      // No attempt at this nonce has a receipt.
      const latest = open.reduce((a, b) => (b.sentAt >= a.sentAt ? b : a));
      for (const tx of open.filter((t) => t.state === 'mined')) {
        // It had a receipt and lost it: reorged out. Back to pending and out again, same nonce.
        log.warn({ requestId: tx.requestId.toString(), tx: tx.hash, block: tx.block?.toString() }, 'transaction reorged out; broadcasting it again');
        store.updateTx(tx.hash, { state: 'pending', block: undefined, status: undefined, gasUsed: undefined, sentAt: Date.now() });
        outcomes.push({ tx: { ...tx, state: 'pending' }, event: 'reorged' });
        await this.broadcast(tx);
      }
      const age = Date.now() - latest.sentAt;
      if (latest.state === 'pending' && age >= this.o.bumpAfterMs) {
        const maxFeePerGas = this.o.maxFeeCap !== undefined && bump(latest.maxFeePerGas) > this.o.maxFeeCap ? this.o.maxFeeCap : bump(latest.maxFeePerGas);
        if (maxFeePerGas > latest.maxFeePerGas) {
          const tx = this.decode(latest);
          log.warn({ requestId: latest.requestId.toString(), tx: latest.hash, nonce, pendingMs: age, maxFeePerGas: maxFeePerGas.toString() }, 'transaction stuck; replacing it with higher fees');
          const next = await this.sign({ requestId: latest.requestId, kind: latest.kind, batch: latest.batch, nonce, call: tx, maxFeePerGas, maxPriorityFeePerGas: bump(latest.maxPriorityFeePerGas) });
          await this.broadcast(next);
          continue;
        }
      }
      const lastSent = this.lastBroadcast.get(latest.hash) ?? 0;
      if (latest.state === 'pending' && Date.now() - lastSent >= this.o.rebroadcastMs) {
        await this.broadcast(latest);
      }
    }
    return outcomes;
  }

  /** The call inside a stored raw transaction (to re-sign it with other fees). */
  private decode(tx: StoredTx): { to: Address; data: Hex; gas: bigint } {
    const t = parseTransaction(tx.raw);
    return { to: t.to!, data: t.data!, gas: t.gas! };
  }
}
