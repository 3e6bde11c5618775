import { hexToString, type Address, type Hex, type PublicClient } from 'viem';
import {
  decodeProvedOutput, DEFAULT_LOG_RANGE, decodeVerityEvents, describeAnswer, modeName, modelRegistryAbi, nodeRegistryAbi, provedFulfilment, RoundOutcome,
  type AnswerFormat, type ModeName, type VerityAddresses, type VerityEvent,
} from '@verity/sdk';

/**
 * What the explorer knows about a model beyond the chain: the compiler's report, the training
 * metrics, and how its outputs read (an example app's labels).
 */
export type ExplorerModelInfo = { constraints?: number; accuracy?: string; verifyGas?: number; source?: string; answer?: AnswerFormat };

export type RoundView = {
  round: number;
  appeal: boolean;
  members: Address[];
  leader?: Address;
  proposal?: string;
  committed: Address[];
  votes: Record<Address, 'agree' | 'disagree'>;
  outcome?: string;
  agrees?: number;
  disagrees?: number;
};

export type RequestView = {
  id: string;
  modelId: Hex;
  model: string;
  /** the model version the request was made against (its verifier checked the proof) */
  version: number;
  mode: ModeName;
  requester: Address;
  app?: string;
  status: string;
  inputCommitment: string;
  inputBytes: number;
  fee: string;
  primary?: Address;
  node?: Address;
  /** proved: the model's labels or named value where the explorer knows them, else the outputs */
  answer?: string;
  /** proved: the outputs themselves (divided by 2^outputScale), when `answer` is a label or a named value */
  outputs?: string;
  proof?: string[];
  /** proved: how many requests its fulfilment transaction answered, when more than one (`fulfillBatch`) */
  batchSize?: number;
  fulfilTx?: Hex;
  /**
   * Gas the answer cost: proved, the fulfilment transaction (proof check, payments, callback);
   * agreed, every transaction of the request (the request, draws, proposal, commits, reveals,
   * finalisation), as `verity dev`'s story counts it.
   */
  gas?: string;
  /** how many transactions `gas` adds up */
  transactions?: number;
  verifyGas?: number;
  callback?: boolean;
  requestedAt: number;
  answeredAt?: number;
  latencyS?: number;
  rounds: RoundView[];
};

/** What the registry pins a proved model's weights with (ModelRegistry.WeightsPinning). */
export const PINNING = ['none', 'verifying key', 'commitment'] as const;
/** Who made a proved model's proving key (ModelRegistry.SetupKind): `dev` is one party, who could forge proofs. */
export const SETUP = ['dev', 'ceremony'] as const;

export type ModelView = {
  id: Hex; name: string; owner: Address; mode: ModeName; commitment: Hex; fee: string; verifier: Address;
  /** the effective version: the one requests are checked against now */
  version: number;
  /** an update that is scheduled and takes effect at `activeFrom` (unix seconds) */
  pending?: { version: number; activeFrom: number };
  pinning: (typeof PINNING)[number];
  setup: (typeof SETUP)[number];
  outputScale: number; requests: number;
} & ExplorerModelInfo;

export type NodeView = {
  address: Address; name: string; stake: string; served: number; missed: number; slashes: number; slashed: string; active: boolean;
  /** the models the operator opted in to serve (the only ones it can be drawn for) */
  models: Hex[];
};

/** `time`: the latest block's timestamp (unix seconds), what pending updates are measured against. */
export type ExplorerState = { chainId: number; block: string; time: number; addresses: VerityAddresses; requests: RequestView[]; models: ModelView[]; nodes: NodeView[] };

/**
 * Follows the protocol's events from the deployment's block and keeps the explorer's view: every request
 * with its status, answer, proof, gas and latency; models; node operators; committee rounds.
 * `sync()` reads only the blocks since the last call.
 */
export class Indexer {
  private next = 0n;
  private head = 0n;
  private chainId = 0;
  private readonly requests = new Map<string, RequestView>();
  private readonly models = new Map<Hex, ModelView>();
  private readonly operators = new Set<Address>();
  /** operator (lower case) -> the models it serves, from ServingStarted / ServingStopped */
  private readonly serving = new Map<string, Set<Hex>>();
  private now = 0;
  private nodes: NodeView[] = [];
  private readonly times = new Map<bigint, number>();
  private readonly labels = new Map<string, string>();
  /** request id -> every transaction that emitted an event about it (an agreed request's gas) */
  private readonly requestTxs = new Map<string, Set<Hex>>();
  private syncing?: Promise<void>;

  constructor(
    private readonly publicClient: PublicClient,
    private readonly addresses: VerityAddresses,
    private readonly info: Record<Hex, ExplorerModelInfo>,
    /** the deployment's block (deployment.json's `block`): nothing of Verity's is older */
    fromBlock: bigint,
    private readonly maxBlockRange = DEFAULT_LOG_RANGE,
    /** model details by the registered commitment (compiled artefacts found on disk), for models `info` does not name */
    private readonly byCommitment: Record<Hex, ExplorerModelInfo> = {},
  ) {
    this.next = fromBlock;
  }

  /** Names an address (a consumer contract) in the requests table. */
  label(address: Address, name: string): void {
    this.labels.set(address.toLowerCase(), name);
    for (const r of this.requests.values()) if (r.requester.toLowerCase() === address.toLowerCase()) r.app = name;
  }

  /** Reads new blocks; concurrent callers share one read. */
  sync(): Promise<void> {
    this.syncing ??= this.read().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  state(): ExplorerState {
    const requests = [...this.requests.values()].sort((a, b) => Number(BigInt(b.id) - BigInt(a.id)));
    return { chainId: this.chainId, block: this.head.toString(), time: this.now, addresses: this.addresses, requests, models: [...this.models.values()], nodes: this.nodes };
  }

  private async read(): Promise<void> {
    this.chainId ||= await this.publicClient.getChainId();
    const head = await this.publicClient.getBlock();
    const latest = head.number;
    const address = [this.addresses.coprocessor, this.addresses.registry, this.addresses.nodes, ...(this.addresses.committee ? [this.addresses.committee] : [])];
    while (this.next <= latest) {
      const to = this.next + this.maxBlockRange - 1n < latest ? this.next + this.maxBlockRange - 1n : latest;
      const logs = await this.publicClient.getLogs({ address, fromBlock: this.next, toBlock: to });
      for (const e of decodeVerityEvents(logs)) await this.apply(e);
      this.next = to + 1n;
    }
    this.head = latest;
    this.now = Number(head.timestamp);
    // An update takes effect by the clock, with no event: read the model again once its time has come.
    for (const m of this.models.values()) if (m.pending && m.pending.activeFrom <= this.now) await this.readModel(m.id);
    await this.refreshNodes();
  }

  private async readModel(modelId: Hex): Promise<void> {
    const registry = { address: this.addresses.registry, abi: modelRegistryAbi } as const;
    const [m, [pendingVersion, activeFrom]] = await Promise.all([
      this.publicClient.readContract({ ...registry, functionName: 'getModel', args: [modelId] }),
      this.publicClient.readContract({ ...registry, functionName: 'pendingUpdate', args: [modelId] }),
    ]);
    this.models.set(modelId, {
      id: modelId, name: m.name, owner: m.owner, mode: modeName(m.mode), commitment: m.commitment, fee: m.fee.toString(),
      version: m.version, pending: pendingVersion === 0 ? undefined : { version: pendingVersion, activeFrom: Number(activeFrom) },
      pinning: PINNING[m.pinning] ?? 'none', setup: SETUP[m.setup] ?? 'dev',
      verifier: m.verifier, outputScale: m.io.outputScale, requests: this.models.get(modelId)?.requests ?? 0, ...(this.info[modelId] ?? this.byCommitment[m.commitment]),
    });
  }

  private async time(block: bigint): Promise<number> {
    let t = this.times.get(block);
    if (t === undefined) {
      t = Number((await this.publicClient.getBlock({ blockNumber: block })).timestamp);
      this.times.set(block, t);
    }
    return t;
  }

  private async apply(e: VerityEvent): Promise<void> {
    const at = () => this.time(e.blockNumber!);
    if ('requestId' in e.args && typeof e.args.requestId === 'bigint') {
      const id = e.args.requestId.toString();
      this.requestTxs.set(id, (this.requestTxs.get(id) ?? new Set<Hex>()).add(e.transactionHash!));
    }
    switch (e.eventName) {
      case 'ModelRegistered':
      case 'ModelUpdateScheduled':
        await this.readModel(e.args.modelId);
        return;
      case 'ModelFeeChanged': {
        const m = this.models.get(e.args.modelId);
        if (m) m.fee = e.args.fee.toString();
        return;
      }
      case 'OperatorRegistered':
        this.operators.add(e.args.operator);
        return;
      case 'ServingStarted': {
        const served = this.serving.get(e.args.operator.toLowerCase()) ?? new Set<Hex>();
        this.serving.set(e.args.operator.toLowerCase(), served.add(e.args.modelId));
        return;
      }
      case 'ServingStopped':
        this.serving.get(e.args.operator.toLowerCase())?.delete(e.args.modelId);
        return;
      case 'Requested': {
        const model = this.models.get(e.args.modelId);
        if (model) model.requests++;
        this.requests.set(e.args.requestId.toString(), {
          id: e.args.requestId.toString(), modelId: e.args.modelId, model: model?.name ?? e.args.modelId, version: e.args.version, mode: model?.mode ?? 'proved',
          requester: e.args.requester, app: this.labels.get(e.args.requester.toLowerCase()), status: model?.mode === 'agreed' ? 'Propose' : 'Pending',
          inputCommitment: `0x${e.args.inputCommitment.toString(16).padStart(64, '0')}`, inputBytes: (e.args.input.length - 2) / 2, fee: e.args.fee.toString(),
          verifyGas: model?.verifyGas, requestedAt: await at(), rounds: [],
        });
        return;
      }
      case 'Assigned': {
        const r = this.request(e.args.requestId);
        if (r) r.primary = e.args.primary;
        return;
      }
      case 'Fulfilled': {
        const r = this.request(e.args.requestId);
        if (!r) return;
        r.status = r.mode === 'agreed' ? 'Finalized' : 'Fulfilled';
        r.node = e.args.node;
        r.fulfilTx = e.transactionHash!;
        r.answeredAt = await at();
        r.latencyS = r.answeredAt - r.requestedAt;
        // Agreed: the request's every transaction so far (finalisation is its last).
        if (r.mode === 'agreed') {
          const txs = [...(this.requestTxs.get(r.id) ?? [])];
          const receipts = await Promise.all(txs.map((hash) => this.publicClient.getTransactionReceipt({ hash })));
          r.gas = receipts.reduce((sum, x) => sum + x.gasUsed, 0n).toString();
          r.transactions = txs.length;
          r.answer = text(e.args.output);
        } else {
          // Proved: the fulfilment transaction, or this answer's share of a batch's.
          const f = await provedFulfilment(this.publicClient, e.transactionHash!, e.args.requestId);
          r.gas = f.gas.toString();
          r.transactions = 1;
          if (f.batchSize > 1) r.batchSize = f.batchSize;
          if (f.proof) r.proof = f.proof.map((v) => `0x${v.toString(16)}`);
          const model = this.models.get(r.modelId);
          const outputs = decodeProvedOutput(e.args.output).map((v) => Number(v) / 2 ** (model?.outputScale ?? 0));
          r.answer = describeAnswer(outputs, model?.answer);
          if (model?.answer) r.outputs = describeAnswer(outputs);
        }
        return;
      }
      case 'CallbackCompleted': {
        const r = this.request(e.args.requestId);
        if (r) r.callback = e.args.success;
        return;
      }
      case 'Refunded': {
        const r = this.request(e.args.requestId);
        if (r) r.status = 'Refunded';
        return;
      }
      case 'DrawPending':
      case 'DrawRearmed':
        // A committee is drawn from a later block's hash, in a later transaction.
        this.setStatus(e.args.requestId, 'Drawing');
        return;
      case 'RoundStarted': {
        const r = this.request(e.args.requestId);
        if (!r) return;
        r.rounds.push({ round: e.args.round, appeal: e.args.appeal, members: [...e.args.members], committed: [], votes: {} });
        r.status = 'Propose';
        return;
      }
      case 'Proposed': {
        const round = this.round(e.args.requestId, e.args.round);
        if (round) Object.assign(round, { leader: e.args.leader, proposal: text(e.args.answer) });
        this.setStatus(e.args.requestId, 'Commit');
        return;
      }
      case 'Committed':
        this.round(e.args.requestId, e.args.round)?.committed.push(e.args.member);
        return;
      case 'BallotsSealed': {
        // The signed ballots `proposeSigned` committed, by seat (zero: a seat not in it).
        const round = this.round(e.args.requestId, e.args.round);
        if (round) e.args.commitments.forEach((c, seat) => { if (BigInt(c) !== 0n && round.members[seat]) round.committed.push(round.members[seat]!); });
        return;
      }
      case 'VotesRevealed': {
        // `revealMany`: the round's votes so far, two bits a seat (1 agree, 2 disagree).
        const round = this.round(e.args.requestId, e.args.round);
        if (round) {
          round.members.forEach((member, seat) => {
            const v = Number((e.args.votes >> BigInt(2 * seat)) & 3n);
            if (v !== 0) round.votes[member] = v === 1 ? 'agree' : 'disagree';
          });
        }
        this.setStatus(e.args.requestId, 'Reveal');
        return;
      }
      case 'Revealed': {
        const round = this.round(e.args.requestId, e.args.round);
        if (round) round.votes[e.args.member] = e.args.vote === 1 ? 'agree' : 'disagree';
        this.setStatus(e.args.requestId, 'Reveal');
        return;
      }
      case 'RoundDecided': {
        const round = this.round(e.args.requestId, e.args.round);
        if (round) Object.assign(round, { outcome: RoundOutcome[e.args.outcome], agrees: e.args.agrees, disagrees: e.args.disagrees });
        return;
      }
      case 'Accepted': {
        const r = this.request(e.args.requestId);
        if (r) Object.assign(r, { status: 'Accepted', answer: text(e.args.answer) });
        return;
      }
      case 'RequestRefunded':
        this.setStatus(e.args.requestId, 'Refunded');
        return;
      default:
    }
  }

  private request(requestId: bigint): RequestView | undefined {
    return this.requests.get(requestId.toString());
  }

  private round(requestId: bigint, round: number): RoundView | undefined {
    return this.request(requestId)?.rounds.find((r) => r.round === round);
  }

  private setStatus(requestId: bigint, status: string): void {
    const r = this.request(requestId);
    if (r && r.status !== 'Finalized') r.status = status;
  }

  private async refreshNodes(): Promise<void> {
    const active = new Set((await this.publicClient.readContract({ address: this.addresses.nodes, abi: nodeRegistryAbi, functionName: 'activeOperators' })).map((a) => a.toLowerCase()));
    this.nodes = await Promise.all([...this.operators].map(async (address) => {
      const o = await this.publicClient.readContract({ address: this.addresses.nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [address] });
      return {
        address, name: o.name, stake: o.stake.toString(), served: Number(o.served), missed: Number(o.missed), slashes: Number(o.slashes), slashed: o.slashed.toString(),
        active: active.has(address.toLowerCase()), models: [...(this.serving.get(address.toLowerCase()) ?? [])],
      };
    }));
  }
}

/** Answer bytes as text when they are printable UTF-8, else hex. */
function text(bytes: Hex): string {
  try {
    const s = hexToString(bytes);
    return /^[\x20-\x7e\u00a0-\uffff]*$/.test(s) ? s : bytes;
  } catch {
    return bytes;
  }
}
