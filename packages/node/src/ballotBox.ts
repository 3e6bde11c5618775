// The off-chain exchange of agreed mode: a round's members send their signed ballots (commit
// phase) and their openings (reveal phase) to the round's leader, which puts them on chain in one
// transaction each (`Committee.commitSigned`, `Committee.revealMany`). Before a first round is
// drawn, its leader (known from `Committee.pendingCommittee`) shows its answer here
// (`GET /agreed/proposal`), its members post ballots signed over that answer, and the leader
// sends the draw, the proposal and the ballots in one transaction (`Committee.proposeSigned`). Nothing here is trusted:
// the leader checks every ballot's signature and every opening against the chain before it keeps
// it, and the Committee checks them again. Members that see their ballot or opening missing on
// chain send their own transaction, so liveness never depends on this channel.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listen } from './listen.js';
import { isHex, type Hex } from 'viem';
import type { Opening, SignedBallot } from '@verity/sdk';

/** What a member posts to its round's leader: its signed ballot, or its opening. */
export type BallotMessage =
  | { kind: 'ballot'; requestId: bigint; round: number; ballot: SignedBallot }
  | { kind: 'opening'; requestId: bigint; round: number; opening: Opening };

/** The path members post to, below the leader's registered API URL. */
export const BALLOT_PATH = '/agreed/ballots';
/** The path a pending round's leader shows its answer on (`?requestId=&round=`). */
export const PROPOSAL_PATH = '/agreed/proposal';
/** Larger bodies are refused (a message is about 300 bytes). */
const MAX_BODY = 4096;

export type BallotBox = { url: string; close(): Promise<void> };

/**
 * Serves `POST /agreed/ballots` on `host:port` (port 0: any free one): each body is one
 * {@link BallotMessage} as JSON (bigints as decimal strings), handed to `receive`, which answers
 * whether it kept it (202) or refused it (422). Malformed bodies get 400. And
 * `GET /agreed/proposal?requestId=&round=`: the answer `proposal` gives (200, `{"answer":"0x.."}`), or 404.
 *
 * @example
 * const box = await serveBallotBox({ port: 0, receive: (m) => validator.receive(m), proposal: (id, round) => validator.proposalFor(id, round) })
 */
export async function serveBallotBox(p: {
  host?: string; port: number; receive: (m: BallotMessage) => Promise<boolean>; proposal?: (requestId: bigint, round: number) => Hex | undefined;
}): Promise<BallotBox> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: string) => { res.writeHead(status, { 'content-type': 'text/plain' }); res.end(`${body}\n`); };
    const [path, query] = (req.url ?? '/').split('?');
    if (path === PROPOSAL_PATH && req.method === 'GET') {
      const q = new URLSearchParams(query ?? '');
      const id = q.get('requestId') ?? '';
      const round = Number(q.get('round'));
      const answer = /^\d{1,78}$/.test(id) && isSmall(round) ? p.proposal?.(BigInt(id), round) : undefined;
      if (!answer) return reply(404, 'no proposal');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ answer }));
    }
    if (path !== BALLOT_PATH || req.method !== 'POST') return reply(404, `not found: POST ${BALLOT_PATH}`);
    readBody(req).then(
      async (text) => {
        const m = text === undefined ? undefined : parseBallotMessage(text);
        if (!m) return reply(400, 'not a ballot message');
        reply((await p.receive(m)) ? 202 : 422, 'ok');
      },
    ).catch(() => reply(500, 'failed'));
  });
  return listen(server, p.port, p.host);
}

/**
 * Posts a message to a leader's API URL; true when the leader kept it. Never throws: an
 * unreachable or refusing leader is answered by the member's own transaction.
 *
 * @example
 * const kept = await postBallot('http://leader.example', { kind: 'ballot', requestId: 1n, round: 0, ballot })
 */
export async function postBallot(apiUrl: string, m: BallotMessage, timeoutMs = 2_000): Promise<boolean> {
  if (!/^https?:\/\//.test(apiUrl)) return false;
  try {
    const res = await fetch(`${apiUrl.replace(/\/+$/, '')}${BALLOT_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.text();
    return res.status === 202;
  } catch {
    return false;
  }
}

/**
 * The answer a pending round's leader shows at its API URL, or undefined (unreachable, none yet,
 * malformed). Never throws. Only a ballot signed over this answer counts for it on chain.
 *
 * @example
 * const answer = await fetchProposal('http://leader.example', 1n, 0)
 */
export async function fetchProposal(apiUrl: string, requestId: bigint, round: number, timeoutMs = 2_000): Promise<Hex | undefined> {
  if (!/^https?:\/\//.test(apiUrl)) return undefined;
  try {
    const res = await fetch(`${apiUrl.replace(/\/+$/, '')}${PROPOSAL_PATH}?requestId=${requestId}&round=${round}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (res.status !== 200 || text.length > MAX_BODY) return undefined;
    const answer = (JSON.parse(text) as { answer?: unknown }).answer;
    return typeof answer === 'string' && isHex(answer) && answer.length > 2 ? answer : undefined;
  } catch {
    return undefined;
  }
}

/** A message from JSON, or undefined when any field is missing or malformed. */
export function parseBallotMessage(text: string): BallotMessage | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || typeof o.requestId !== 'string' || !/^\d{1,78}$/.test(o.requestId)) return undefined;
  const round = o.round;
  if (!isSmall(round)) return undefined;
  const requestId = BigInt(o.requestId);
  const is32 = (x: unknown): x is Hex => typeof x === 'string' && isHex(x) && x.length === 66;
  if (o.kind === 'ballot') {
    const b = o.ballot as Record<string, unknown> | undefined;
    if (!b || !isSmall(b.seat) || !is32(b.commitment) || !is32(b.r) || !is32(b.s) || (b.v !== 27 && b.v !== 28)) return undefined;
    return { kind: 'ballot', requestId, round, ballot: { seat: b.seat, commitment: b.commitment, v: b.v, r: b.r, s: b.s } };
  }
  if (o.kind === 'opening') {
    const b = o.opening as Record<string, unknown> | undefined;
    if (!b || !isSmall(b.seat) || (b.vote !== 1 && b.vote !== 2) || !is32(b.salt)) return undefined;
    return { kind: 'opening', requestId, round, opening: { seat: b.seat, vote: b.vote, salt: b.salt } };
  }
  return undefined;
}

const isSmall = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 256;

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
