// Until @verity/errors (issue 20, part 1) is merged: its walk() and the two chain errors the node
// throws, with the same signatures and messages. Merging, delete this file and import these
// names from '@verity/errors' instead.
import { BaseError } from '@verity/sdk/errors';

/**
 * Follows `cause` from `error` to the first error (itself included) that `fn` accepts, or null
 * when none does. A cause chain that loops ends where it would repeat.
 */
export function walk(error: unknown, fn: (e: unknown) => boolean): unknown | null {
  const seen = new Set<unknown>();
  let e = error;
  for (;;) {
    if (fn(e)) return e;
    seen.add(e);
    const cause = e !== null && typeof e === 'object' && 'cause' in e ? (e as { cause?: unknown }).cause : undefined;
    if (cause === undefined || seen.has(cause)) return null;
    e = cause;
  }
}

/** An event the protocol must have emitted is not where it should be: a transaction's receipt, or a block range the caller searched. */
export class EventNotFoundError extends BaseError {
  override name = 'EventNotFoundError';
  readonly event: string;
  /** where it was looked for ("transaction 0x…", "blocks 12 to the head") */
  readonly where: string;
  readonly requestId?: bigint;
  constructor({ event, where, requestId }: { event: string; where: string; requestId?: bigint }) {
    super(`${requestId === undefined ? '' : `request ${requestId}: `}no ${event} event in ${where}`);
    this.event = event;
    this.where = where;
    this.requestId = requestId;
  }
}

/** Agreed mode was asked for where no Committee is deployed or wired to the Coprocessor. */
export class NoCommitteeError extends BaseError {
  override name = 'NoCommitteeError';
  constructor({ reason }: { reason: string }) {
    super(`agreed mode is not deployed: ${reason}`, { details: 'Deploy a Committee and call Coprocessor.setCommittee (deployVerity does both).' });
  }
}
