import { encodeFunctionData, zeroAddress, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import { BaseError } from '@verity/errors';
import { ContractRevertError, decodeRevert } from '@verity/sdk/errors';
import {
  coprocessorAbi, findLatestLog, modelRegistryAbi, nodeRegistryAbi, requestBinding, requestsBinding, RequestStatus, toSolidityProof, withGasMargin, type SnarkjsProof,
} from '@verity/sdk';
import { decodeInputBytes, inputCommitment, type Prover, type RequestBatchProver } from '@verity/zkml';
import { errorText, type Logger } from './log.js';
import type { ProvingBackend } from './proving.js';
import type { NodeState } from './state.js';
import type { Job, JobStore } from './store.js';
import { isTransient, triageJobError } from './triage.js';
import type { TxManager, TxOutcome } from './txmanager.js';

/** A reorg replaced a request, and the `Requested` event now on chain does not match the commitment the Coprocessor stores for it. */
export class RequestInputMismatchError extends BaseError {
  override name = 'RequestInputMismatchError';
  readonly requestId: bigint;
  constructor({ requestId }: { requestId: bigint }) {
    super(`request ${requestId}: the Requested event's input does not give the stored input commitment`);
    this.requestId = requestId;
  }
}

/**
 * One proved request's life in a node, from the store's job to a confirmed fulfilment: the
 * checks against the chain (settled, reorged, draw block passed, input commitment, can serve),
 * the draw (`primaryOf`; an `assign` when another node is drawn, then its window), the proof,
 * the fulfilment through the {@link TxManager}, and what its outcome means for the job.
 */
export class ProvedJobs {
  private readonly me: Address;

  constructor(private readonly p: {
    publicClient: PublicClient; account: LocalAccount; chainId: number; coprocessor: Address; nodes: Address; registry: Address;
    store: JobStore; log: Logger; txm: TxManager; proving: ProvingBackend; provers: ReadonlyMap<string, Prover>;
    pollMs: number; maxRange: bigint; maxAttempts: number;
    /**
     * Batched fulfilment, for the models whose verifier has `verifyBatch`: up to `maxSize`
     * proofs of one model in one `fulfillBatch`, sent once no other request of the model is
     * ready to prove, the batch is full, or its oldest proof has waited `waitMs`. Undefined: off.
     * `requests`: the models compiled for request batches (`verity compile --requests K`), whose
     * ready requests are proved together, up to K in ONE proof, and sent in one
     * `fulfillRequests`, on the same schedule.
     */
    batch?: { maxSize: number; waitMs: number; models: ReadonlySet<string>; requests?: ReadonlyMap<string, RequestBatchProver> };
    /** no look-up of a request reads below this block (the first the node scanned) */
    scanFloor: bigint;
    /** the head and the chain's time as the node last read them, whether it is stopping, job updates, proving times */
    state: NodeState;
  }) {
    this.me = p.account.address;
  }

  /**
   * Jobs a crash interrupted: a proof in progress is started again; one whose transaction
   * (single or batch) is stored goes on with that transaction (never a second one); a proof
   * waiting for its batch keeps waiting.
   */
  resumeInterrupted() {
    for (const job of this.p.store.jobs(['proving', 'proved', 'submitting'])) {
      const txs = this.p.store.txsForRequest(job.requestId, 'fulfil');
      if (txs.length > 0) {
        this.p.log.info({ requestId: job.requestId.toString(), tx: txs.at(-1)!.hash }, 'resuming: fulfilment already stored, watching it');
        this.p.state.update(job.requestId, { state: 'submitting', fulfilTx: txs.at(-1)!.hash });
      } else if (job.state !== 'proved') {
        this.p.log.info({ requestId: job.requestId.toString() }, 'resuming: proof was interrupted, proving again');
        this.p.state.update(job.requestId, { state: 'queued' });
      }
    }
  }

  /** What a transaction outcome means for its job: fulfilled, sent again after a reorg, or retried after a revert. */
  async settle(outcome: TxOutcome) {
    const { tx, event } = outcome;
    const job = this.p.store.job(tx.requestId);
    if ((tx.kind === 'assign' || tx.kind === 'serve') && event === 'confirmed') {
      this.p.log.info({ requestId: tx.requestId.toString(), kind: tx.kind, tx: tx.hash, status: tx.status, gasUsed: tx.gasUsed?.toString() }, `${tx.kind} ${tx.status === 'success' ? 'confirmed' : 'reverted'}`);
    }
    // Only fulfilments settle a job; an `assign`, an opt-in or a Committee action is fire and forget.
    if (tx.kind === 'fulfil' && tx.batch) return this.settleBatch(outcome);
    if (!job || tx.kind !== 'fulfil') return;
    if (event === 'reorged') {
      this.p.state.update(job.requestId, { state: 'submitting', fulfilTx: tx.hash, fulfilGasUsed: undefined, error: 'fulfilment reorged out; sent again' });
      return;
    }
    if (event === 'mined') {
      this.p.state.update(job.requestId, { fulfilTx: tx.hash, fulfilGasUsed: tx.gasUsed });
      return;
    }
    if (tx.status === 'success') {
      this.p.log.info({ requestId: job.requestId.toString(), tx: tx.hash, gasUsed: tx.gasUsed?.toString(), block: tx.block?.toString() }, 'fulfilled');
      this.p.state.update(job.requestId, { state: 'fulfilled', fulfilTx: tx.hash, fulfilGasUsed: tx.gasUsed, error: undefined });
      return;
    }
    // Reverted on chain: most often another node was first.
    const r = await this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [job.requestId] });
    const status = RequestStatus[r.status];
    if (status !== 'Pending') {
      this.p.log.info({ requestId: job.requestId.toString(), tx: tx.hash, status }, 'fulfilment reverted: the request was settled otherwise');
      this.p.state.update(job.requestId, { state: 'skipped', error: `request is ${status}` });
    } else {
      this.retry(job, `fulfilment ${tx.hash} reverted`);
    }
  }

  /**
   * A `fulfillBatch` outcome for each of its jobs; each job records the batch's gas shared out
   * equally (per answer). A batch that reverted on chain: the requests settled otherwise are
   * skipped, the others fulfilled one by one.
   */
  private async settleBatch({ tx, event }: TxOutcome) {
    const ids = [tx.requestId, ...tx.batch!];
    const jobs = ids.map((id) => this.p.store.job(id)).filter((j): j is Job => j !== undefined);
    const perAnswer = tx.gasUsed === undefined ? undefined : tx.gasUsed / BigInt(ids.length);
    if (event === 'reorged') {
      for (const j of jobs) this.p.state.update(j.requestId, { state: 'submitting', fulfilTx: tx.hash, fulfilGasUsed: undefined, error: 'batch fulfilment reorged out; sent again' });
      return;
    }
    if (event === 'mined') {
      for (const j of jobs) this.p.state.update(j.requestId, { fulfilTx: tx.hash, fulfilGasUsed: perAnswer });
      return;
    }
    if (tx.status === 'success') {
      this.p.log.info({ requestIds: ids.map(String), tx: tx.hash, gasUsed: tx.gasUsed?.toString(), gasPerAnswer: perAnswer?.toString(), block: tx.block?.toString() }, 'batch fulfilled');
      for (const j of jobs) {
        this.p.log.info({ requestId: j.requestId.toString(), tx: tx.hash, gasUsed: perAnswer?.toString(), batch: ids.length }, 'fulfilled');
        this.p.state.update(j.requestId, { state: 'fulfilled', fulfilTx: tx.hash, fulfilGasUsed: perAnswer, error: undefined });
      }
      return;
    }
    this.p.log.warn({ requestIds: ids.map(String), tx: tx.hash }, 'batch fulfilment reverted; fulfilling its requests one by one');
    await this.submitEach(jobs);
  }

  private retry(job: Job, error: string) {
    const attempts = job.attempts;
    if (attempts >= this.p.maxAttempts) {
      this.p.log.error({ requestId: job.requestId.toString(), attempts, err: error }, 'job failed');
      this.p.state.update(job.requestId, { state: 'failed', error });
    } else {
      const delay = Math.min(60_000, 1000 * 2 ** attempts);
      this.p.log.warn({ requestId: job.requestId.toString(), attempts, retryInMs: delay, err: error }, 'job will be retried');
      this.p.state.update(job.requestId, { state: 'queued', notBefore: Date.now() + delay, error });
    }
  }

  /** The Poseidon commitment the Coprocessor stores for `input` of a model this node serves. */
  private commitmentOf(prover: Prover, input: Hex) {
    const { layout, weights } = prover.compiled.report;
    return inputCommitment(layout, decodeInputBytes(layout, input), BigInt(weights?.commitment ?? 0));
  }

  /**
   * The job as the chain has it now. A reorg can swap two requests with the same sequential id:
   * when the job's input does not give the request's stored input commitment, the Requested
   * event is read again and the job takes its model and input. Undefined: nothing to prove.
   */
  private async onChain(job: Job, r: { modelId: Hex; inputCommitment: bigint }): Promise<Job | undefined> {
    const prover = this.p.provers.get(r.modelId.toLowerCase());
    if (prover && r.modelId.toLowerCase() === job.modelId.toLowerCase() && (await this.commitmentOf(prover, job.input)) === r.inputCommitment) return job;
    const event = await findLatestLog(this.p.publicClient, { address: this.p.coprocessor, abi: coprocessorAbi, eventName: 'Requested', args: { requestId: job.requestId }, fromBlock: this.p.scanFloor, maxRange: this.p.maxRange });
    if (!prover || !event) {
      this.p.state.update(job.requestId, { state: 'skipped', error: `the request is now for model ${r.modelId}, which this node does not serve` });
      return undefined;
    }
    const { modelId, input } = event.args;
    if ((await this.commitmentOf(prover, input)) !== r.inputCommitment) throw new RequestInputMismatchError({ requestId: job.requestId });
    this.p.log.warn({ requestId: job.requestId.toString(), block: event.blockNumber.toString(), was: job.block.toString() }, 'request input changed on chain (reorg); proving the new input');
    return this.p.state.update(job.requestId, { modelId, input, block: event.blockNumber });
  }

  /** Sends `assign(requestId)` once (best effort): simulated first; another node's assignment is fine. */
  private async assign(requestId: bigint) {
    if (this.p.store.txsForRequest(requestId, 'assign').length > 0) return;
    let gas: bigint;
    try {
      gas = await this.p.publicClient.estimateContractGas({ account: this.p.account, address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'assign', args: [requestId] });
    } catch (e) {
      this.p.log.debug({ requestId: requestId.toString(), err: errorText(decodeRevert(e)) }, 'assign would revert (already assigned); not sent');
      return;
    }
    const tx = await this.p.txm.send(requestId, { to: this.p.coprocessor, data: encodeFunctionData({ abi: coprocessorAbi, functionName: 'assign', args: [requestId] }), gas: withGasMargin(gas) }, 'assign');
    this.p.log.info({ requestId: requestId.toString(), tx: tx.hash }, 'assigning the request to its drawn primary');
  }

  /**
   * One step of a job's life: skip it if the chain settled it; wait for the draw block to pass,
   * for its opt-in, or for another primary's window; else prove and send the fulfilment.
   */
  async work(queued: Job) {
    // A transaction for this request is already stored (say its broadcast failed): the
    // transaction manager owns it now; a second proof would only make a second transaction.
    const stored = this.p.store.txsForRequest(queued.requestId, 'fulfil');
    const done = stored.find((t) => t.state === 'confirmed' && t.status === 'success');
    if (done) {
      this.p.state.update(queued.requestId, { state: 'fulfilled', fulfilTx: done.hash, fulfilGasUsed: done.gasUsed });
      return;
    }
    const open = stored.filter((t) => t.state === 'pending' || t.state === 'mined');
    if (open.length > 0) {
      this.p.state.update(queued.requestId, { state: 'submitting', fulfilTx: open.at(-1)!.hash });
      return;
    }
    const r = await this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [queued.requestId] });
    const status = RequestStatus[r.status];
    if (status === 'None') {
      this.p.state.update(queued.requestId, { state: 'reorged', error: 'the request is not on chain (reorged out)' });
      return;
    }
    if (status !== 'Pending') {
      this.p.state.update(queued.requestId, { state: 'skipped', error: `request is ${status}` });
      return;
    }
    // The draw reads the hash of the request's block: nothing is decided while it is the head.
    if (this.p.state.head <= r.drawBlock) {
      this.p.state.update(queued.requestId, { state: 'waiting', notBefore: Date.now() + this.p.pollMs });
      return;
    }
    const job = await this.onChain(queued, r);
    if (!job) return;
    // Never prove for a model this operator does not serve on chain (its opt-in may be on its way).
    if (!(await this.p.publicClient.readContract({ address: this.p.nodes, abi: nodeRegistryAbi, functionName: 'canServe', args: [this.me, job.modelId] }))) {
      this.p.log.warn({ requestId: job.requestId.toString(), modelId: job.modelId }, 'this operator cannot serve the model on chain (not active or not opted in); waiting');
      this.p.state.update(job.requestId, { state: 'waiting', notBefore: Date.now() + 5_000 });
      return;
    }
    const primary = await this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'primaryOf', args: [job.requestId] });
    // Zero: the draw block's hash is gone (over 256 blocks): anyone serving the model may fulfil.
    if (primary !== zeroAddress && primary.toLowerCase() !== this.me.toLowerCase()) {
      // The primary has the request alone until its window ends (in chain time).
      const left = Number(r.exclusiveUntil) * 1000 - this.p.state.chainNow();
      if (left >= 0) {
        // Fix the draw on chain within the window, so that a primary that then misses it is
        // slashed (an assignment after the window slashes nobody: it is not sent).
        if (r.assignedAt === 0n) await this.assign(job.requestId);
        const until = Date.now() + left + 1000;
        this.p.log.info({ requestId: job.requestId.toString(), primary, until: new Date(until).toISOString() }, 'assigned to another node; waiting for its window to end');
        this.p.state.update(job.requestId, { state: 'waiting', notBefore: until });
        return;
      }
    }
    if (this.p.batch?.requests?.has(job.modelId.toLowerCase())) {
      // Checked and ready: proved with the other ready requests of its model by `submitProved`.
      this.p.state.update(job.requestId, { state: 'proved', attempts: job.attempts + 1 });
      return;
    }
    const proved = await this.proveAlone(job);
    if (!proved) return;
    if (this.p.batch?.models.has(job.modelId.toLowerCase())) {
      // Sent with the other proofs of its model by `submitProved`.
      this.p.state.update(job.requestId, { state: 'proved' });
      return;
    }
    await this.submit(proved);
  }

  /** Proves one job on its own (bound to its request id); undefined when the request changed meanwhile. */
  private async proveAlone(job: Job): Promise<Job | undefined> {
    this.p.state.update(job.requestId, { state: 'proving', attempts: job.attempts + 1 });
    this.p.log.info({ requestId: job.requestId.toString(), attempt: job.attempts + 1 }, 'proving');
    const binding = requestBinding({ chainId: this.p.chainId, coprocessor: this.p.coprocessor, requestId: job.requestId, prover: this.me });
    const result = await this.p.proving.prove({ requestId: job.requestId, modelId: job.modelId, input: job.input, binding }, this.p.state.abort.signal);
    const proveMs = result.proveMs;
    this.p.state.proveTimes.observe(proveMs / 1000);
    this.p.log.info({ requestId: job.requestId.toString(), proveMs: Math.round(proveMs), worker: result.worker, outputs: result.outputs }, 'proved');
    // A rescan may have changed or removed the request while it was being proved.
    const now = this.p.store.job(job.requestId)!;
    if (now.state !== 'proving' || now.input !== job.input) {
      this.p.log.warn({ requestId: job.requestId.toString(), state: now.state }, 'the request changed while it was proved; proof dropped');
      return undefined;
    }
    return this.p.state.update(job.requestId, { proveMs, outputs: result.outputs, proof: result.proof, publicSignals: result.publicSignals });
  }

  /** The `fulfill` (or `fulfillBatch`) arguments of a proved job: its output words and proof. */
  private fulfilment(job: Job) {
    const prover = this.p.provers.get(job.modelId.toLowerCase())!;
    const words = job.publicSignals!.slice(0, prover.compiled.report.layout.outputWords).map(BigInt);
    return { words, proof: toSolidityProof(job.proof as SnarkjsProof) };
  }

  /** Sends one job's `fulfill` (proving it first when it waited for a request batch), estimated first: a revert shows before any gas is spent. */
  private async submit(ready: Job) {
    const job = ready.proof ? ready : await this.proveAlone(ready);
    if (!job) return;
    const { words, proof } = this.fulfilment(job);
    const args = [job.requestId, words, proof] as const;
    const data = encodeFunctionData({ abi: coprocessorAbi, functionName: 'fulfill', args });
    // The estimate runs the whole fulfilment (proof check and callback): a revert shows here, before any gas is spent.
    const gas = await this.p.publicClient.estimateContractGas({ account: this.p.account, address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'fulfill', args });
    if (this.p.state.stopped) return;
    // A margin on top of the estimate: the callback must get its full paid gas (63/64 rule).
    const tx = await this.p.txm.send(job.requestId, { to: this.p.coprocessor, data, gas: withGasMargin(gas) });
    this.p.state.update(job.requestId, { state: 'submitting', fulfilTx: tx.hash });
  }

  /** Each job alone (a batch's fallback); a job whose `fulfill` fails takes the usual error path. */
  private async submitEach(jobs: readonly Job[]) {
    for (const job of jobs) {
      if (this.p.state.stopped) return;
      try {
        await this.submit(job);
      } catch (e) {
        await this.onError(job, e);
      }
    }
  }

  /**
   * Sends the proofs waiting in `proved`, per model: one `fulfillBatch` of up to `maxSize`
   * once the batch is full, no request of the model is queued or proving, or its oldest proof
   * has waited `waitMs`; a batch of one goes as `fulfill`. A batch whose estimate reverts (a
   * false proof, a request settled meanwhile) is sent again one request at a time.
   */
  async submitProved() {
    const batch = this.p.batch;
    if (!batch) return;
    const proved = this.p.store.jobs(['proved']);
    if (proved.length === 0) return;
    const busy = new Set(this.p.store.jobs(['queued', 'proving']).filter((j) => j.state === 'proving' || (j.notBefore ?? 0) <= Date.now()).map((j) => j.modelId.toLowerCase()));
    const byModel = new Map<string, Job[]>();
    for (const j of proved) byModel.set(j.modelId.toLowerCase(), [...(byModel.get(j.modelId.toLowerCase()) ?? []), j]);
    for (const [model, jobs] of byModel) {
      const requests = batch.requests?.get(model);
      const size = requests?.k ?? batch.maxSize;
      const oldest = Math.min(...jobs.map((j) => j.updatedAt));
      if (jobs.length < size && busy.has(model) && Date.now() - oldest < batch.waitMs) continue;
      for (let i = 0; i < jobs.length; i += size) {
        const part = jobs.slice(i, i + size);
        try {
          if (part.length === 1) await this.submit(part[0]!);
          else if (requests) await this.submitRequests(requests, part);
          else await this.submitBatch(part);
        } catch (e) {
          for (const j of part) if (this.p.store.job(j.requestId)?.state === 'proved') await this.onError(j, e);
        }
      }
    }
  }

  /**
   * Proves up to K ready requests of one model in ONE proof of its request-batch circuit and
   * sends them in one `fulfillRequests`. A request the chain settled or let expire meanwhile
   * is skipped (before proving, or when the estimate names it: the others are proved again
   * without it); any other failure (no batch verifier for the version, a request made before
   * it, a proof that fails) sends the requests one by one.
   */
  private async submitRequests(prover: RequestBatchProver, ready: readonly Job[]) {
    let jobs = [...ready].sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
    const now = BigInt(Math.floor(this.p.state.chainNow() / 1000));
    const onChain = await Promise.all(jobs.map((j) => this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [j.requestId] })));
    const alone: Job[] = [];
    const batchOf = onChain[0] && await this.p.publicClient.readContract({ address: this.p.registry, abi: modelRegistryAbi, functionName: 'requestBatchOf', args: [onChain[0].modelId, onChain[0].version] });
    jobs = jobs.filter((j, i) => {
      const r = onChain[i]!;
      const status = RequestStatus[r.status];
      if (status !== 'Pending' || r.deadline < now) {
        this.p.log.info({ requestId: j.requestId.toString(), status }, 'left out of the request batch: settled or expired meanwhile');
        this.p.state.update(j.requestId, { state: 'skipped', error: status === 'Pending' ? 'request expired before it was served' : `request is ${status}` });
        return false;
      }
      // Only requests of the first's version made after its batch verifier was set can share a proof.
      const batchable = batchOf !== undefined && batchOf.verifier !== zeroAddress && r.drawBlock > batchOf.sinceBlock && r.version === onChain[0]!.version && r.modelId === onChain[0]!.modelId;
      if (!batchable) alone.push(j);
      return batchable;
    });
    if (alone.length > 0) {
      this.p.log.info({ requestIds: alone.map((j) => j.requestId.toString()) }, 'no request-batch verifier for these requests on chain (or they predate it); proving them separately');
      await this.submitSeparately(alone);
    }
    while (jobs.length > 1) {
      if (this.p.state.stopped) return;
      const ids = jobs.map((j) => j.requestId);
      const { layout, weights } = prover.compiled.report;
      const slots = await Promise.all(jobs.map(async (j) => {
        const u = decodeInputBytes(layout, j.input);
        return { u, commitment: await inputCommitment(layout, u, BigInt(weights?.commitment ?? 0)) };
      }));
      const binding = requestsBinding({ chainId: this.p.chainId, coprocessor: this.p.coprocessor, requestIds: ids, prover: this.me });
      this.p.log.info({ requestIds: ids.map(String), k: prover.k }, 'proving a request batch');
      let p: Awaited<ReturnType<RequestBatchProver['prove']>>;
      try {
        p = await prover.prove(slots, binding);
      } catch (e) {
        // One request's witness can fail (an intermediate value out of range): it then fails alone.
        this.p.log.warn({ requestIds: ids.map(String), err: errorText(e) }, 'request batch proof failed; proving the requests separately');
        await this.submitSeparately(jobs);
        return;
      }
      const proveMs = p.timings.witnessMs + p.timings.proveMs;
      this.p.state.proveTimes.observe(proveMs / 1000);
      const args = [ids, p.words, toSolidityProof(p.proof as SnarkjsProof)] as const;
      let gas: bigint;
      try {
        gas = await this.p.publicClient.estimateContractGas({ account: this.p.account, address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'fulfillRequests', args });
      } catch (e) {
        if (isTransient(e)) throw e;
        const d = decodeRevert(e);
        const culprit = d instanceof ContractRevertError && ['RequestNotPending', 'RequestExpired'].includes(d.errorName ?? '') ? jobs.find((j) => j.requestId === (d.args?.[0] as bigint | undefined)) : undefined;
        if (culprit) {
          this.p.log.info({ requestId: culprit.requestId.toString(), err: errorText(d) }, 'left out of the request batch; proving the others again');
          this.p.state.update(culprit.requestId, { state: 'skipped', error: errorText(d) });
          jobs = jobs.filter((j) => j !== culprit);
          continue;
        }
        this.p.log.warn({ requestIds: ids.map(String), err: errorText(d) }, 'request batch would revert; proving the requests separately');
        await this.submitSeparately(jobs);
        return;
      }
      if (this.p.state.stopped) return;
      const data = encodeFunctionData({ abi: coprocessorAbi, functionName: 'fulfillRequests', args });
      const tx = await this.p.txm.send(ids[0]!, { to: this.p.coprocessor, data, gas: withGasMargin(gas) }, 'fulfil', ids.slice(1));
      this.p.log.info({ requestIds: ids.map(String), tx: tx.hash, size: ids.length, proveMs: Math.round(proveMs) }, 'request batch sent');
      jobs.forEach((j, i) => this.p.state.update(j.requestId, { state: 'submitting', fulfilTx: tx.hash, proveMs, outputs: p.outputs[i]!.map((v) => Number(v) / 2 ** prover.compiled.report.quantization.outputScale) }));
      return;
    }
    if (jobs.length === 1) await this.submit(jobs[0]!);
  }

  /** A request batch's fallback: each job proved on its own, then sent as `fulfillBatch` (when the verifier has it) or one by one. */
  private async submitSeparately(jobs: readonly Job[]) {
    const proved: Job[] = [];
    for (const j of jobs) {
      if (this.p.state.stopped) return;
      const p = j.proof ? j : await this.proveAlone(j);
      if (p) proved.push(p);
    }
    if (proved.length > 1 && this.p.batch?.models.has(proved[0]!.modelId.toLowerCase())) await this.submitBatch(proved);
    else await this.submitEach(proved);
  }

  private async submitBatch(jobs: readonly Job[]) {
    const ids = jobs.map((j) => j.requestId);
    const parts = jobs.map((j) => this.fulfilment(j));
    const args = [ids, parts.map((p) => p.words), parts.map((p) => p.proof)] as const;
    let gas: bigint;
    try {
      gas = await this.p.publicClient.estimateContractGas({ account: this.p.account, address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'fulfillBatch', args });
    } catch (e) {
      if (isTransient(e)) throw e;
      this.p.log.warn({ requestIds: ids.map(String), err: errorText(decodeRevert(e)) }, 'batch would revert; fulfilling one by one');
      await this.submitEach(jobs);
      return;
    }
    if (this.p.state.stopped) return;
    const data = encodeFunctionData({ abi: coprocessorAbi, functionName: 'fulfillBatch', args });
    const tx = await this.p.txm.send(ids[0]!, { to: this.p.coprocessor, data, gas: withGasMargin(gas) }, 'fulfil', ids.slice(1));
    this.p.log.info({ requestIds: ids.map(String), tx: tx.hash, size: ids.length }, 'batch sent');
    for (const id of ids) this.p.state.update(id, { state: 'submitting', fulfilTx: tx.hash });
  }

  /** A failed step: RPC trouble and an open window wait; a settled request is skipped; anything else is retried with backoff. */
  async onError(job: Job, e: unknown) {
    switch (triageJobError(e)) {
      case 'rpc':
        this.p.log.warn({ requestId: job.requestId.toString(), err: errorText(e) }, 'RPC error while working; the job goes back to the queue');
        this.p.state.update(job.requestId, { state: 'queued', notBefore: Date.now() + 2000, attempts: Math.max(0, job.attempts - 1) });
        return;
      case 'settled':
        this.p.state.update(job.requestId, { state: 'skipped', error: errorText(e) });
        return;
      case 'window':
        // The primary's window is not over on chain yet (the clocks differ): wait, it is no failure.
        this.p.log.info({ requestId: job.requestId.toString(), err: errorText(e) }, 'the primary\'s window is still open on chain; waiting');
        this.p.state.update(job.requestId, { state: 'waiting', notBefore: Date.now() + 1000, attempts: Math.max(0, this.p.store.job(job.requestId)!.attempts - 1) });
        return;
      case 'retry':
        this.retry(this.p.store.job(job.requestId)!, errorText(e));
    }
  }
}
