// What `verity request` prints while an agreed-mode request goes through the committee's phases:
// read from the Committee's events, so a phase that lasts one block is never missed.
import { hexToString, parseEventLogs, type Hex, type PublicClient } from 'viem';
import { committeeAbi, DEFAULT_LOG_RANGE, RoundOutcome, type VerityAddresses } from '@verity/sdk';

/** Which agreed-mode request to follow, and where to print its phases. */
export type FollowAgreedParameters = {
  committee: NonNullable<VerityAddresses['committee']>;
  requestId: bigint;
  /** the request's block: none of its events is older */
  fromBlock: bigint;
  log: (line: string) => void;
  /** how often to read new blocks (default 500 ms) */
  pollMs?: number;
  /** while the answer waits for its appeal window, print the time left this often (default 60 s) */
  reminderMs?: number;
  /** give up after this long (the request keeps going on chain) */
  timeoutMs: number;
};

/** How the request's committee ended: answered (the consumer was called back) or refunded. */
export type FollowAgreedReturnType = 'Finalized' | 'Refunded' | 'TimedOut';

const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
const seconds = (s: bigint) => `${s} s`;
const clock = (unix: bigint) => new Date(Number(unix) * 1000).toISOString().slice(11, 19) + ' UTC';
const label = (phase: string) => phase.padEnd(9);

/**
 * Prints one line per committee phase of an agreed-mode request (Drawing, Propose, Commit,
 * Reveal, Accepted with the appeal window's time left, Appealed, Finalized) until it is
 * finalized or refunded. Times left are chain time (block timestamps).
 *
 * @example
 * const end = await followAgreedRequest(publicClient, { committee, requestId, fromBlock: receipt.blockNumber, log: console.log, timeoutMs: 600_000 })
 */
export async function followAgreedRequest(publicClient: PublicClient, p: FollowAgreedParameters): Promise<FollowAgreedReturnType> {
  const { pollMs = 500, reminderMs = 60_000 } = p;
  const windows = await publicClient.readContract({ address: p.committee, abi: committeeAbi, functionName: 'parameters' });
  const started = Date.now();
  let cursor = p.fromBlock;
  let appealUntil: bigint | undefined;
  let lastReminder = 0;
  const revealing = new Set<number>();
  for (;;) {
    const head = await publicClient.getBlockNumber();
    for (let from = cursor; from <= head; from += DEFAULT_LOG_RANGE) {
      const to = from + DEFAULT_LOG_RANGE - 1n < head ? from + DEFAULT_LOG_RANGE - 1n : head;
      const raw = await publicClient.getLogs({ address: p.committee, fromBlock: from, toBlock: to });
      for (const e of parseEventLogs({ abi: committeeAbi, logs: raw, args: { requestId: p.requestId } })) {
        const at = async () => (await publicClient.getBlock({ blockNumber: e.blockNumber })).timestamp;
        switch (e.eventName) {
          case 'DrawPending':
            p.log(`${label('Drawing')} round ${e.args.round}: the committee is drawn from the hash of a block after ${e.args.drawBlock}`);
            break;
          case 'RoundStarted': {
            const left = e.args.deadline - (await at());
            const who = `${e.args.members.length} members drawn by stake (${e.args.members.map(short).join(', ')})`;
            p.log(e.args.appeal
              ? `${label('Commit')} appeal round ${e.args.round}: ${who} vote on the accepted answer; sealed votes within ${seconds(left)}`
              : `${label('Propose')} round ${e.args.round}: ${who}; the leader proposes an answer within ${seconds(left)}`);
            break;
          }
          case 'Proposed':
            p.log(`${label('Commit')} leader ${short(e.args.leader)} proposed ${JSON.stringify(text(e.args.answer))}; the members commit sealed votes within ${seconds(windows.commitWindow)}`);
            break;
          case 'Revealed':
          case 'VotesRevealed':
            if (!revealing.has(e.args.round)) {
              revealing.add(e.args.round);
              p.log(`${label('Reveal')} the members reveal their votes within ${seconds(windows.revealWindow)}`);
            }
            break;
          case 'RoundDecided':
            if (RoundOutcome[e.args.outcome] !== 'Accepted') p.log(`${label('Decided')} round ${e.args.round}: ${RoundOutcome[e.args.outcome]} (${e.args.agrees} agree, ${e.args.disagrees} disagree)`);
            break;
          case 'Accepted': {
            appealUntil = e.args.appealUntil;
            lastReminder = Date.now();
            const left = appealUntil - (await at());
            p.log(`${label('Accepted')} ${JSON.stringify(text(e.args.answer))} by round ${e.args.round}; the appeal window closes in ${seconds(left)} (${clock(appealUntil)}): until then anyone may appeal with a bond, then a node finalizes it`);
            break;
          }
          case 'Appealed':
            appealUntil = undefined;
            p.log(`${label('Appealed')} by ${short(e.args.appellant)} against round ${e.args.round}: a larger committee is drawn to review the answer`);
            break;
          case 'Finalized':
            p.log(`${label('Finalized')} ${JSON.stringify(text(e.args.answer))}: the consumer has its answer`);
            return 'Finalized';
          case 'RequestRefunded':
            p.log(`${label('Refunded')} the committee reached no answer: the fee is refunded`);
            return 'Refunded';
        }
      }
    }
    cursor = head + 1n;
    if (Date.now() - started > p.timeoutMs) return 'TimedOut';
    if (appealUntil !== undefined && Date.now() - lastReminder >= reminderMs) {
      lastReminder = Date.now();
      const now = (await publicClient.getBlock()).timestamp;
      if (now < appealUntil) p.log(`${label('Accepted')} appeal window: ${seconds(appealUntil - now)} left`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** An answer's bytes as text when they are UTF-8 (Label, Exact, Comparative), else the hex. */
function text(answer: Hex): string {
  try {
    return hexToString(answer);
  } catch {
    return answer;
  }
}
