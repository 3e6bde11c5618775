import { encodeFunctionData, keccak256, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import {
  AgreedPhase, ballotSigner, committeeAbi, coprocessorAbi, decodeAnswer, findLatestLog, getLogsBounded, encodeAnswer, nodeRegistryAbi, normalizeAnswer, parseNumericAnswer, readRule, signBallot, Vote, voteCommitment, withGasMargin,
  type CriterionName, type Opening, type SignedBallot, type StoredRule,
} from '@verity/sdk';
import { EventNotFoundError } from '@verity/errors';
import { fetchProposal, postBallot, type BallotMessage } from './ballotBox.js';
import { errorText, type Logger } from './log.js';
import { ProviderError, type AgreedQuestion, type Provider } from './providers.js';
import type { JobStore } from './store.js';
import type { TxManager } from './txmanager.js';

/**
 * The agreed-mode models a node validates, each with the provider that answers for it; and
 * where it takes its members' signed ballots and openings when it leads a round (`ballotBox`:
 * serve `POST /agreed/ballots` on this port; register the matching public URL as the
 * operator's API URL). Without it the node still sends its own ballots to other leaders.
 */
export type AgreedOptions = { models: readonly { modelId: Hex; provider: Provider }[]; ballotBox?: { port: number; host?: string } };

type Rule = StoredRule & { labels: string[] };
/** What a request asks, read once per request (undefined: a model this node has no provider for). */
type Question = (AgreedQuestion & { rule: Rule }) | undefined;
type RoundView = { appeal: boolean; members: readonly Address[]; answer: Hex; subject: number; deadline: number; committedSeats: number; sealedBatch: Hex };

const OPEN_KEY = 'committee.open';
const DRAWING_KEY = 'committee.drawing';
const CURSOR_KEY = 'committee.cursor';
/** Unit of the stagger between validators sending the same `draw` (0 to 3 units). */
const DRAW_STAGGER_MS = 500;
/**
 * How long the validators that do not lead a first round leave its draw to the leader (a fraction
 * of the propose window), so that the leader draws, proposes and commits its members' ballots in
 * one transaction (`proposeSigned`); and the part of the commit window the leader waits for
 * ballots before it sends that transaction with those it has.
 */
const LEADER_GRACE = 0.5;
const BALLOT_WAIT = 0.25;
/** Tries of one action (propose, commit, reveal, advance, draw) whose transaction reverted. */
const MAX_ACTION_TRIES = 3;

/**
 * A node's validator duties in agreed mode. Each poll it reads `RoundStarted` events (from a
 * cursor kept in the job store, with the open requests), and for each open request reads the
 * Committee's state and does what its seat asks: the leader proposes its provider's answer; a
 * voter computes its own answer, decides by the model's rule whether the proposal is
 * equivalent, and commits `keccak256(requestId, round, itself, vote, salt)`; once the reveal
 * opens it reveals; past a deadline anyone calls `advance`. The salt is derived from a
 * signature by the operator key, and the vote at reveal is the one matching the stored
 * commitment, so a restarted validator reveals what it committed without having stored
 * either. A provider failure means no vote (abstain), never a guess.
 */
/** `Committee.OPENED`: a batch entry `revealMany` fills from the opening sent with it. */
const OPENED: Hex = `0x${'1'.padStart(64, '0')}`;

/**
 * The round's signed batch for a `revealMany` opening `seats`: their commitments (which the
 * openings imply) replaced by OPENED, 31 zero bytes of calldata each instead of 32 others.
 */
export function openedIn(batch: readonly Hex[], seats: readonly number[]): Hex[] {
  return batch.map((c, seat) => (c !== zero32 && seats.includes(seat) ? OPENED : c));
}

export class Validator {
  private readonly models: Map<string, Provider>;
  private readonly open: Set<string>;
  /** requests of this node's models waiting for `draw` (their first round or an appeal) */
  private readonly drawing: Set<string>;
  /** when each pending draw (request:drawBlock) was first seen due */
  private readonly drawDue = new Map<string, number>();
  private cursor: bigint | undefined;
  private readonly rules = new Map<string, Rule>();
  /** own answers by request (text), so a provider is asked once per request and round subject */
  private readonly answers = new Map<string, string>();
  private readonly questions = new Map<string, Question>();
  /** actions sent and not yet reflected on chain: key -> tries */
  private readonly sent = new Map<string, { hash: Hex; tries: number }>();
  private readonly me: Address;
  /** led rounds (request:round): the ballots and openings members sent, checked */
  private readonly inbox = new Map<string, { ballots: Map<number, SignedBallot>; openings: Map<number, Opening> }>();
  /** own ballots and openings sent to a leader (request:round:kind): whether it kept them */
  private readonly delegated = new Map<string, boolean>();
  private readonly apiUrls = new Map<string, string>();
  private windows: { propose: number; commit: number; reveal: number } | undefined;
  /** first rounds this node leads before their draw (request:0): the answer it shows its members */
  private readonly proposals = new Map<string, Hex>();
  /** the members `pendingCommittee` announced (request:drawBlock) */
  private readonly pending = new Map<string, readonly Address[]>();
  /** the commitments `proposeSigned` sealed (request:round), from `BallotsSealed` */
  private readonly batches = new Map<string, readonly Hex[]>();

  constructor(private readonly p: {
    publicClient: PublicClient; account: LocalAccount; committee: Address; coprocessor: Address; chainId: number;
    store: JobStore; txm: TxManager; log: Logger; agreed: AgreedOptions; fromBlock: bigint; maxRange: bigint;
    /** no look-up reads below this block (the deployment's) */
    deploymentBlock: bigint;
  }) {
    this.models = new Map(p.agreed.models.map((m) => [m.modelId.toLowerCase(), m.provider]));
    this.open = new Set(JSON.parse(p.store.meta(OPEN_KEY) ?? '[]') as string[]);
    this.drawing = new Set(JSON.parse(p.store.meta(DRAWING_KEY) ?? '[]') as string[]);
    const c = p.store.meta(CURSOR_KEY);
    this.cursor = c === undefined ? p.fromBlock : BigInt(c);
    this.me = p.account.address;
  }

  /** Requests this validator is following. */
  get openRequests(): bigint[] {
    return [...this.open].map(BigInt);
  }

  /** One poll: new rounds and draws up to `head`, the draws due, then each open request's next step. */
  async tick(head: bigint): Promise<void> {
    await this.scan(head);
    for (const id of [...this.drawing].map(BigInt)) {
      try {
        await this.drawIfDue(id, head);
      } catch (e) {
        this.p.log.warn({ requestId: id.toString(), err: errorText(e) }, 'agreed mode: draw failed; trying again next poll');
      }
    }
    if (this.open.size === 0) return;
    // The chain's time moves only when blocks are made: on a quiet devnet the wall clock is
    // ahead of the head block. Acting early costs nothing: every call is simulated first.
    const now = Math.max(Number((await this.p.publicClient.getBlock({ blockNumber: head })).timestamp), Math.floor(Date.now() / 1000));
    for (const id of this.openRequests) {
      try {
        await this.step(id, now);
      } catch (e) {
        this.p.log.warn({ requestId: id.toString(), err: errorText(e) }, 'agreed mode: step failed; trying again next poll');
      }
    }
  }

  private async scan(head: bigint) {
    let cursor = this.cursor!;
    while (cursor <= head) {
      const to = cursor + this.p.maxRange - 1n < head ? cursor + this.p.maxRange - 1n : head;
      const events = await getLogsBounded(this.p.publicClient, { address: this.p.committee, abi: committeeAbi, eventName: 'RoundStarted', fromBlock: cursor, toBlock: to, maxRange: this.p.maxRange });
      for (const e of events) {
        const { requestId, members, round, appeal } = e.args as { requestId: bigint; members: readonly Address[]; round: number; appeal: boolean };
        if (!members.some((m) => m.toLowerCase() === this.me.toLowerCase())) continue;
        if (!this.open.has(requestId.toString())) this.p.log.info({ requestId: requestId.toString(), round, appeal, seat: this.seatOf(members) }, 'agreed mode: drawn into a committee');
        this.open.add(requestId.toString());
      }
      const pending = await getLogsBounded(this.p.publicClient, { address: this.p.committee, abi: committeeAbi, eventName: 'DrawPending', fromBlock: cursor, toBlock: to, maxRange: this.p.maxRange });
      for (const e of pending) {
        const { requestId, round } = e.args;
        if (this.drawing.has(requestId.toString())) continue;
        const modelId = await this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'modelOf', args: [requestId] });
        if (!this.models.has(modelId.toLowerCase())) continue;
        this.p.log.info({ requestId: requestId.toString(), round, drawBlock: e.args.drawBlock.toString() }, 'agreed mode: a committee waits for its draw');
        this.drawing.add(requestId.toString());
      }
      cursor = to + 1n;
      this.cursor = cursor;
      this.persist();
    }
  }

  private persist() {
    this.p.store.setMeta(OPEN_KEY, JSON.stringify([...this.open]));
    this.p.store.setMeta(DRAWING_KEY, JSON.stringify([...this.drawing]));
    this.p.store.setMeta(CURSOR_KEY, this.cursor!.toString());
  }

  /**
   * Sends `draw` for a request in the Drawing phase once its draw block has passed (best
   * effort: simulated first; whichever validator is first draws, the others' calls are skipped).
   */
  private async drawIfDue(requestId: bigint, head: bigint) {
    const task = await this.p.publicClient.readContract({ address: this.p.committee, abi: committeeAbi, functionName: 'getTask', args: [requestId] });
    if (AgreedPhase[task.phase] !== 'Drawing') {
      this.drawing.delete(requestId.toString());
      for (const k of this.drawDue.keys()) if (k.startsWith(`${requestId}:`)) this.drawDue.delete(k);
      this.persist();
      return;
    }
    if (head <= task.drawBlock) return;
    // Every validator of the model may draw; a stagger drawn from (operator, request) lets one
    // of them usually send it alone (the others then find the phase moved on and send nothing).
    const key = `${requestId}:${task.drawBlock}`;
    const dueSince = this.drawDue.get(key) ?? Date.now();
    this.drawDue.set(key, dueSince);
    let stagger = Number(BigInt(keccak256(`${this.me}${requestId.toString(16).padStart(64, '0')}` as Hex)) % 4n) * DRAW_STAGGER_MS;
    if (!task.started) {
      // A first round: its members exchange ballots before the draw, which its leader sends.
      const members = await this.pendingMembers(requestId, task.drawBlock);
      if (members.length > 0 && (await this.beforeDraw(requestId, members, dueSince))) return;
      if (members.length > 0) stagger += (await this.window('propose')) * 1000 * LEADER_GRACE;
    }
    if (Date.now() < dueSince + stagger) return;
    const round = task.started ? task.round + 1 : 0;
    await this.act(`${requestId}:${round}:draw:${task.drawBlock}`, requestId, 'draw', [requestId], { round, drawBlock: task.drawBlock.toString() });
  }

  /** The members a pending first round's draw will give (empty: not drawable now), read once per draw block. */
  private async pendingMembers(requestId: bigint, drawBlock: bigint): Promise<readonly Address[]> {
    const key = `${requestId}:${drawBlock}`;
    let members = this.pending.get(key);
    if (!members) {
      members = await this.p.publicClient.readContract({ address: this.p.committee, abi: committeeAbi, functionName: 'pendingCommittee', args: [requestId] });
      if (members.length > 0) this.pending.set(key, members);
    }
    return members;
  }

  /**
   * A first round's exchange before its draw. The leader shows its answer in its ballot box and,
   * once every member's ballot is in or a quarter of the commit window has passed, sends the
   * draw, the proposal and the ballots in one transaction (true: this node handles the draw).
   * A member takes the leader's answer, judges it and posts its ballot signed over it; if the
   * leader does not act, the draw is sent by anyone after the grace and the round goes on chain.
   */
  private async beforeDraw(requestId: bigint, members: readonly Address[], dueSince: number): Promise<boolean> {
    const seat = this.seatOf(members);
    if (seat < 0) return false;
    const key = `${requestId}:0`;
    if (seat === 0) {
      let answer = this.proposals.get(key);
      if (answer === undefined) {
        const own = await this.ownAnswer(requestId, 0);
        if (own === undefined) return false;
        try {
          answer = encodeAnswer((await this.question(requestId))!.rule, own);
        } catch (e) {
          this.p.log.warn({ requestId: requestId.toString(), answer: own, err: errorText(e) }, 'agreed mode: own answer does not fit the rule; not proposing');
          return false;
        }
        this.proposals.set(key, answer);
      }
      const ballots = [...(this.inbox.get(key)?.ballots.values() ?? [])];
      const waited = Date.now() >= dueSince + (await this.window('commit')) * 1000 * BALLOT_WAIT;
      if (this.p.agreed.ballotBox && ballots.length < members.length - 1 && !waited) return true;
      await this.act(`${key}:proposeSigned`, requestId, 'proposeSigned', [requestId, answer, ballots], { round: 0, ballots: ballots.length });
      return true;
    }
    const sent = `${key}:ballot`;
    if (this.delegated.has(sent)) return false;
    const url = await this.apiUrl(members[0]!);
    const answer = await fetchProposal(url, requestId, 0);
    if (answer === undefined) return false;
    const agree = await this.judge(requestId, 0, answer);
    if (agree === undefined) return false;
    const vote = agree ? Vote.Agree : Vote.Disagree;
    const commitment = voteCommitment({ requestId, round: 0, member: this.me, vote, salt: await this.salt(requestId, 0) });
    const ballot = await signBallot(this.p.account, this.p.committee, this.p.chainId, { requestId, round: 0, seat, commitment, answer: keccak256(answer) });
    const kept = await postBallot(url, { kind: 'ballot', requestId, round: 0, ballot });
    this.delegated.set(sent, kept);
    this.p.log.info({ requestId: requestId.toString(), round: 0, leader: members[0], kept, vote: agree ? 'agree' : 'disagree' }, 'agreed mode: ballot sent to the leader before the draw');
    return false;
  }

  /** The answer this node shows its members for a first round it leads before the draw. */
  proposalFor(requestId: bigint, round: number): Hex | undefined {
    return this.proposals.get(`${requestId}:${round}`);
  }

  /** The commitments `proposeSigned` sealed in a round (by seat; zero: not in it), from `BallotsSealed`. */
  private async batchOf(requestId: bigint, round: number): Promise<readonly Hex[]> {
    const key = `${requestId}:${round}`;
    const known = this.batches.get(key);
    if (known) return known;
    const event = await findLatestLog(this.p.publicClient, { address: this.p.committee, abi: committeeAbi, eventName: 'BallotsSealed', args: { requestId }, fromBlock: this.p.deploymentBlock, maxRange: this.p.maxRange });
    if (!event || event.args.round !== round) throw new EventNotFoundError({ event: 'BallotsSealed', where: `blocks ${this.p.deploymentBlock} to the head`, requestId });
    this.batches.set(key, event.args.commitments);
    return event.args.commitments;
  }

  /** A seat's sealed vote: committed on chain, or in the round's signed batch (zero: none). */
  private async sealedVote(requestId: bigint, round: number, r: RoundView, seat: number): Promise<{ stored: Hex; revealed: number; inBatch: boolean }> {
    const [stored, revealed] = await this.p.publicClient.readContract({ address: this.p.committee, abi: committeeAbi, functionName: 'getBallot', args: [requestId, round, BigInt(seat)] });
    if (stored !== zero32 || ((r.committedSeats >> seat) & 1) === 0 || r.sealedBatch === zero32) return { stored, revealed, inBatch: false };
    return { stored: (await this.batchOf(requestId, round))[seat] ?? zero32, revealed, inBatch: true };
  }

  private seatOf(members: readonly Address[]) {
    return members.findIndex((m) => m.toLowerCase() === this.me.toLowerCase());
  }

  private async step(requestId: bigint, now: number) {
    const { publicClient, committee } = this.p;
    const task = await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getTask', args: [requestId] });
    const phase = AgreedPhase[task.phase]!;
    if (phase === 'Finalized' || phase === 'Refunded' || phase === 'None') {
      this.p.log.info({ requestId: requestId.toString(), phase }, 'agreed mode: request closed');
      const key = requestId.toString();
      this.open.delete(key);
      this.answers.delete(key);
      this.questions.delete(key);
      for (const action of this.sent.keys()) if (action.startsWith(`${key}:`)) this.sent.delete(action);
      for (const m of [this.inbox, this.delegated, this.proposals, this.pending, this.batches]) for (const k of m.keys()) if (k.startsWith(`${key}:`)) m.delete(k);
      this.persist();
      return;
    }
    if (phase === 'Drawing') {
      // An appeal waits for its committee: anyone may draw it.
      this.drawing.add(requestId.toString());
      this.persist();
      return;
    }
    const round = task.round;
    const r = (await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getRound', args: [requestId, round] })) as unknown as RoundView;
    const seat = this.seatOf(r.members);
    // Past a deadline, members call `advance`, staggered by seat so one of them usually does it alone.
    const deadline = phase === 'Accepted' ? Number(task.appealUntil) : Number(r.deadline);
    const stagger = seat >= 0 ? seat : r.members.length;
    // `now` may run ahead of the chain's time (the wall clock, on a quiet chain or after a slow
    // restart): an `advance` the chain refuses is not sent, and the duty is still done, since
    // the chain takes it until its own deadline (every call is simulated first).
    if (now > deadline + stagger && (await this.act(`${requestId}:${round}:${phase}:advance`, requestId, 'advance', [requestId], { phase, round }))) return;
    if (seat < 0) return;
    if (seat === 0 && (phase === 'Commit' || phase === 'Reveal')) await this.collect(requestId, phase, task, r, now, deadline);
    const voter = r.appeal || seat > 0;
    if (phase === 'Propose' && seat === 0 && !r.appeal) {
      const answer = await this.ownAnswer(requestId, task.round);
      if (answer === undefined) return;
      let bytes: Hex;
      try {
        bytes = encodeAnswer((await this.question(requestId))!.rule, answer);
      } catch (e) {
        this.p.log.warn({ requestId: requestId.toString(), answer, err: errorText(e) }, 'agreed mode: own answer does not fit the rule; not proposing');
        return;
      }
      // Ballots members signed over this answer before the draw (someone else drew) come with it.
      const early = this.proposals.get(`${requestId}:${round}`) === bytes ? [...(this.inbox.get(`${requestId}:${round}`)?.ballots.values() ?? [])] : [];
      await this.act(`${requestId}:${round}:propose`, requestId, 'proposeSigned', [requestId, bytes, early], { round, answer, ballots: early.length });
    } else if (phase === 'Commit' && voter) {
      if ((r.committedSeats >> seat) & 1) return;
      const subject = r.appeal
        ? ((await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getRound', args: [requestId, r.subject] })) as unknown as RoundView).answer
        : r.answer;
      const agree = await this.judge(requestId, round, subject);
      if (agree === undefined) return;
      const vote = agree ? Vote.Agree : Vote.Disagree;
      const commitment = voteCommitment({ requestId, round, member: this.me, vote, salt: await this.salt(requestId, round) });
      const ballot = await signBallot(this.p.account, committee, this.p.chainId, { requestId, round, seat, commitment, answer: keccak256(subject) });
      if (await this.delegate(r, now, deadline, { kind: 'ballot', requestId, round, ballot })) return;
      await this.act(`${requestId}:${round}:commit`, requestId, 'commit', [requestId, BigInt(seat), commitment], { round, seat, vote: agree ? 'agree' : 'disagree' });
    } else if (phase === 'Reveal' && voter) {
      const { stored, revealed, inBatch } = await this.sealedVote(requestId, round, r, seat);
      if (stored === zero32 || revealed !== Vote.None) return;
      const salt = await this.salt(requestId, round);
      const vote = ([Vote.Agree, Vote.Disagree] as const).find((v) => voteCommitment({ requestId, round, member: this.me, vote: v, salt }) === stored);
      if (!vote) {
        this.p.log.error({ requestId: requestId.toString(), round }, 'agreed mode: the stored commitment matches neither vote with this key\'s salt; cannot reveal');
        return;
      }
      if (await this.delegate(r, now, deadline, { kind: 'opening', requestId, round, opening: { seat, vote, salt } })) return;
      const detail = { round, seat, vote: vote === Vote.Agree ? 'agree' : 'disagree' };
      if (inBatch) await this.act(`${requestId}:${round}:reveal`, requestId, 'revealMany', [requestId, [{ seat, vote, salt }], openedIn(await this.batchOf(requestId, round), [seat])], detail);
      else await this.act(`${requestId}:${round}:reveal`, requestId, 'reveal', [requestId, BigInt(seat), vote, salt], detail);
    }
  }

  /**
   * Leaves a ballot or opening to the round's leader (seat 0) while it may still send it: true
   * while this member should wait. The leader is this node (it keeps its own), or another that
   * kept the posted message; from the middle of the phase on (or when the leader is unreachable
   * or refused it) the member sends its own transaction.
   */
  private async delegate(r: RoundView, now: number, deadline: number, m: BallotMessage): Promise<boolean> {
    const phase = m.kind === 'ballot' ? 'commit' : 'reveal';
    if (now >= deadline - (await this.window(phase)) / 2) return false;
    const leader = r.members[0]!;
    if (leader.toLowerCase() === this.me.toLowerCase()) {
      if (!this.p.agreed.ballotBox) return false;
      const box = this.boxOf(m.requestId, m.round);
      if (m.kind === 'ballot') box.ballots.set(m.ballot.seat, m.ballot);
      else box.openings.set(m.opening.seat, m.opening);
      return true;
    }
    const key = `${m.requestId}:${m.round}:${m.kind}`;
    if (!this.delegated.has(key)) {
      const kept = await postBallot(await this.apiUrl(leader), m);
      this.delegated.set(key, kept);
      this.p.log.info({ requestId: m.requestId.toString(), round: m.round, leader, kept }, `agreed mode: ${m.kind} sent to the leader`);
    }
    return this.delegated.get(key)!;
  }

  /**
   * Leader's duty: puts the ballots (commit phase) or openings (reveal phase) its members sent
   * on chain in one transaction, once every missing one is in or a quarter of the phase is over.
   */
  private async collect(requestId: bigint, phase: string, task: { round: number; committed: number; revealed: number }, r: RoundView, now: number, deadline: number) {
    const box = this.inbox.get(`${requestId}:${task.round}`);
    if (!box) return;
    const round = task.round;
    const late = now >= deadline - ((await this.window(phase === 'Commit' ? 'commit' : 'reveal')) * 3) / 4;
    if (phase === 'Commit') {
      const pending = [...box.ballots.values()].filter((b) => ((r.committedSeats >> b.seat) & 1) === 0);
      const voters = r.appeal ? r.members.length : r.members.length - 1;
      if (pending.length === 0 || (pending.length + task.committed < voters && !late)) return;
      await this.act(`${requestId}:${round}:commitSigned:${pending.map((b) => b.seat).join(',')}`, requestId, 'commitSigned', [requestId, pending], { round, ballots: pending.length });
    } else {
      const votes = await this.p.publicClient.readContract({ address: this.p.committee, abi: committeeAbi, functionName: 'getRound', args: [requestId, round] });
      const pending = [...box.openings.values()].filter((o) => ((r.committedSeats >> o.seat) & 1) === 1 && ((votes.votes >> BigInt(2 * o.seat)) & 3n) === 0n);
      if (pending.length === 0 || (pending.length < task.committed - task.revealed && !late)) return;
      const batch = r.sealedBatch === zero32 ? [] : openedIn(await this.batchOf(requestId, round), pending.map((o) => o.seat));
      await this.act(`${requestId}:${round}:revealMany:${pending.map((o) => o.seat).join(',')}`, requestId, 'revealMany', [requestId, pending, batch], { round, openings: pending.length });
    }
  }

  /**
   * A member's ballot or opening posted to this node's ballot box: kept (true) only when this
   * node leads the request's current round, the phase is right, and the signature or the
   * opening checks out against the chain.
   */
  async receive(m: BallotMessage): Promise<boolean> {
    const { publicClient, committee } = this.p;
    const task = await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getTask', args: [m.requestId] });
    const phase = AgreedPhase[task.phase];
    const seat = m.kind === 'ballot' ? m.ballot.seat : m.opening.seat;
    if (m.kind === 'ballot') {
      // Before the draw or the proposal, a ballot is over the answer this node shows; after, over the one on chain.
      if (phase === 'Drawing' && !task.started && m.round === 0) {
        return this.keepBallot(m, await this.pendingMembers(m.requestId, task.drawBlock), this.proposals.get(`${m.requestId}:0`), false);
      }
      if (task.round !== m.round || (phase !== 'Propose' && phase !== 'Commit')) return false;
      const r = (await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getRound', args: [m.requestId, m.round] })) as unknown as RoundView;
      const answer = phase === 'Propose'
        ? this.proposals.get(`${m.requestId}:${m.round}`)
        : r.appeal ? ((await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getRound', args: [m.requestId, r.subject] })) as unknown as RoundView).answer : r.answer;
      return this.keepBallot(m, r.members, answer, r.appeal);
    }
    if (task.round !== m.round || phase !== 'Reveal') return false;
    const r = (await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getRound', args: [m.requestId, m.round] })) as unknown as RoundView;
    if (r.members[0]?.toLowerCase() !== this.me.toLowerCase() || seat >= r.members.length || (seat === 0 && !r.appeal)) return false;
    const { stored } = await this.sealedVote(m.requestId, m.round, r, seat);
    if (stored !== voteCommitment({ requestId: m.requestId, round: m.round, member: r.members[seat]!, vote: m.opening.vote, salt: m.opening.salt })) return false;
    this.boxOf(m.requestId, m.round).openings.set(seat, m.opening);
    return true;
  }

  /** Keeps a ballot when this node leads, the seat votes, and its holder signed it over `answer`. */
  private async keepBallot(m: BallotMessage & { kind: 'ballot' }, members: readonly Address[], answer: Hex | undefined, appeal: boolean): Promise<boolean> {
    const seat = m.ballot.seat;
    if (answer === undefined || members[0]?.toLowerCase() !== this.me.toLowerCase() || seat >= members.length || (seat === 0 && !appeal)) return false;
    const signer = await ballotSigner(this.p.committee, this.p.chainId, m.requestId, m.round, m.ballot, keccak256(answer));
    if (signer?.toLowerCase() !== members[seat]!.toLowerCase()) return false;
    this.boxOf(m.requestId, m.round).ballots.set(seat, m.ballot);
    return true;
  }

  private boxOf(requestId: bigint, round: number) {
    const key = `${requestId}:${round}`;
    let box = this.inbox.get(key);
    if (!box) this.inbox.set(key, (box = { ballots: new Map(), openings: new Map() }));
    return box;
  }

  /** The propose, commit or reveal window in seconds (read once). */
  private async window(phase: 'propose' | 'commit' | 'reveal'): Promise<number> {
    if (!this.windows) {
      const p = await this.p.publicClient.readContract({ address: this.p.committee, abi: committeeAbi, functionName: 'parameters' });
      this.windows = { propose: Number(p.proposeWindow), commit: Number(p.commitWindow), reveal: Number(p.revealWindow) };
    }
    return this.windows[phase];
  }

  /** An operator's registered API URL (read once per operator). */
  private async apiUrl(operator: Address): Promise<string> {
    const known = this.apiUrls.get(operator.toLowerCase());
    if (known !== undefined) return known;
    const nodes = await this.p.publicClient.readContract({ address: this.p.committee, abi: committeeAbi, functionName: 'nodes' });
    const { apiUrl } = await this.p.publicClient.readContract({ address: nodes, abi: nodeRegistryAbi, functionName: 'getOperator', args: [operator] });
    this.apiUrls.set(operator.toLowerCase(), apiUrl);
    return apiUrl;
  }

  /** The salt of this operator's vote in a round: secret (it needs the key) and the same after a restart. */
  private async salt(requestId: bigint, round: number): Promise<Hex> {
    const signature = await this.p.account.signMessage({ message: `verity vote salt ${this.p.chainId} ${this.p.committee.toLowerCase()} ${requestId} ${round}` });
    return keccak256(signature);
  }

  /** A model's rule, with the label texts from the latest RuleSet event (read once per model). */
  private async rule(modelId: Hex): Promise<Rule> {
    const cached = this.rules.get(modelId);
    if (cached) return cached;
    // The rule in force is the latest RuleSet: read backwards from the head, it is found in the first ranges.
    const latest = await findLatestLog(this.p.publicClient, { address: this.p.committee, abi: committeeAbi, eventName: 'RuleSet', args: { modelId }, fromBlock: this.p.deploymentBlock, maxRange: this.p.maxRange });
    const labels = [...(latest?.args.labels ?? [])];
    const rule: Rule = { ...(await readRule(this.p.publicClient, this.p.committee, modelId)), labels };
    this.rules.set(modelId, rule);
    return rule;
  }

  /** This validator's own answer to the request (its provider's), or undefined when it abstains. */
  private async ownAnswer(requestId: bigint, round: number): Promise<string | undefined> {
    const key = requestId.toString();
    const known = this.answers.get(key);
    if (known !== undefined) return known;
    const q = await this.question(requestId);
    if (!q) return undefined;
    const provider = this.models.get(q.modelId.toLowerCase())!;
    const started = performance.now();
    try {
      const answer = await provider.answer(q);
      this.p.log.info({ requestId: key, round, provider: provider.name, answer, ms: Math.round(performance.now() - started) }, 'agreed mode: computed own answer');
      this.answers.set(key, answer);
      return answer;
    } catch (e) {
      this.p.log.warn({ requestId: key, round, provider: provider.name, err: errorText(e) }, 'agreed mode: provider failed; abstaining (no vote)');
      return undefined;
    }
  }

  /** The request's model, rule and input, read once per request (and its abstention logged once). */
  private async question(requestId: bigint): Promise<Question> {
    const key = requestId.toString();
    if (this.questions.has(key)) return this.questions.get(key);
    const modelId = await this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'modelOf', args: [requestId] });
    let q: Question;
    if (!this.models.has(modelId.toLowerCase())) {
      this.p.log.warn({ requestId: key, modelId }, 'agreed mode: drawn for a model this node has no provider for; abstaining (configure agreed.models)');
    } else {
      const rule = await this.rule(modelId);
      const event = await findLatestLog(this.p.publicClient, { address: this.p.coprocessor, abi: coprocessorAbi, eventName: 'Requested', args: { requestId }, fromBlock: this.p.deploymentBlock, maxRange: this.p.maxRange });
      if (!event) throw new EventNotFoundError({ event: 'Requested', where: `blocks ${this.p.deploymentBlock} to the head`, requestId });
      const input = event.args.input;
      // The event must carry the input the Coprocessor stored the hash of (a reorg can swap same-id requests).
      const stored = await this.p.publicClient.readContract({ address: this.p.coprocessor, abi: coprocessorAbi, functionName: 'inputHashOf', args: [requestId] });
      if (keccak256(input) !== stored) {
        this.p.log.warn({ requestId: key, event: event.transactionHash, stored }, 'agreed mode: the Requested event\'s input does not match the stored input hash; not answering yet');
        return undefined;
      }
      q = { requestId, modelId, input: decodeInput(input), instructions: rule.instructions, criterion: rule.criterion, labels: rule.labels, rule };
    }
    this.questions.set(key, q);
    return q;
  }

  /** Whether the subject answer is equivalent to this validator's own, by the model's rule; undefined: abstain. */
  private async judge(requestId: bigint, round: number, subject: Hex): Promise<boolean | undefined> {
    const mine = await this.ownAnswer(requestId, round);
    if (mine === undefined) return undefined;
    const q = (await this.question(requestId))!;
    const theirs = decodeAnswer(q.criterion, subject);
    const agree = await equivalentBy(q, theirs, mine, this.models.get(q.modelId.toLowerCase())!);
    if (agree === undefined) {
      this.p.log.warn({ requestId: requestId.toString(), round }, 'agreed mode: provider could not judge equivalence; abstaining (no vote)');
      return undefined;
    }
    this.p.log.info({ requestId: requestId.toString(), round, proposed: theirs, mine, criterion: q.criterion, agree }, 'agreed mode: judged the proposal');
    return agree;
  }

  /**
   * Sends one Committee call once: again only if its transaction reverted and the state did not
   * move. False when the call would revert (simulated first), so nothing was sent.
   */
  private async act(key: string, requestId: bigint, functionName: 'proposeSigned' | 'commit' | 'commitSigned' | 'reveal' | 'revealMany' | 'advance' | 'draw', args: readonly unknown[], detail: Record<string, unknown>): Promise<boolean> {
    const prior = this.sent.get(key);
    if (prior) {
      const tx = this.p.store.txsForRequest(requestId).find((t) => t.hash === prior.hash);
      const failed = tx?.status === 'reverted' || tx?.state === 'dropped';
      if (!failed || prior.tries >= MAX_ACTION_TRIES) return true;
    }
    const call = { address: this.p.committee, abi: committeeAbi, functionName, args } as const;
    let gas: bigint;
    try {
      gas = await this.p.publicClient.estimateContractGas({ ...call, account: this.p.account } as never);
    } catch (e) {
      // Someone else advanced it, or the phase moved on: nothing to do.
      if (functionName !== 'advance' && functionName !== 'draw') this.p.log.warn({ requestId: requestId.toString(), action: functionName, err: errorText(e) }, 'agreed mode: action would revert; skipped');
      return false;
    }
    const data = encodeFunctionData({ abi: committeeAbi, functionName, args } as never);
    const tx = await this.p.txm.send(requestId, { to: this.p.committee, data, gas: withGasMargin(gas) }, 'committee');
    this.sent.set(key, { hash: tx.hash, tries: (prior?.tries ?? 0) + 1 });
    this.p.log.info({ requestId: requestId.toString(), action: functionName, tx: tx.hash, ...detail }, `agreed mode: ${functionName}`);
    return true;
  }
}

const zero32 = `0x${'0'.repeat(64)}` as Hex;

/** Whether `theirs` is equivalent to `mine` under the rule (Comparative: the provider judges; undefined if it fails). */
export async function equivalentBy(q: AgreedQuestion & { rule: Pick<StoredRule, 'tolerance'> }, theirs: string, mine: string, provider: Provider): Promise<boolean | undefined> {
  switch (q.criterion as CriterionName) {
    case 'Numeric': {
      const a = BigInt(theirs);
      const b = parseNumericAnswer(mine);
      const d = a > b ? a - b : b - a;
      return d <= q.rule.tolerance;
    }
    case 'Comparative':
      try {
        return await provider.equivalent(q, theirs, mine);
      } catch (e) {
        if (e instanceof ProviderError) return undefined;
        throw e;
      }
    default:
      return normalizeAnswer(theirs) === normalizeAnswer(mine);
  }
}

/** A request's input as the text a model reads: UTF-8 when it decodes cleanly, else the hex. */
function decodeInput(input: Hex): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(input.slice(2), 'hex'));
  } catch {
    return input;
  }
}
