// The chain failures that more than one package reports: the sdk when it sends, the node when it
// serves, the CLI when it prints.
import { BaseError } from './base.js';

/**
 * A transaction was mined but reverted (its simulation passed: the state changed in between, or
 * it ran out of gas).
 *
 * @example
 * if (receipt.status !== 'success') throw new TransactionRevertedError({ functionName: 'fulfill', hash, gasUsed: receipt.gasUsed })
 */
export class TransactionRevertedError extends BaseError {
  override name = 'TransactionRevertedError';
  /** the contract function, or `deploy` for a contract creation */
  readonly functionName: string;
  readonly hash: `0x${string}`;
  readonly gasUsed?: bigint;
  constructor({ functionName, hash, gasUsed }: { functionName: string; hash: `0x${string}`; gasUsed?: bigint }) {
    super(`${functionName} reverted in transaction ${hash}${gasUsed === undefined ? '' : ` (gas used ${gasUsed})`}`);
    this.functionName = functionName;
    this.hash = hash;
    this.gasUsed = gasUsed;
  }
}

/**
 * An event the protocol must have emitted is not where it should be: a transaction's receipt, or
 * a block range the caller searched.
 *
 * @example
 * if (!log) throw new EventNotFoundError({ event: 'Fulfilled', where: `blocks ${floor} to the head`, requestId })
 */
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

/**
 * Agreed mode was asked for where no Committee is deployed or wired to the Coprocessor.
 *
 * @example
 * if (!addresses.committee) throw new NoCommitteeError({ reason: 'these addresses have no committee' })
 */
export class NoCommitteeError extends BaseError {
  override name = 'NoCommitteeError';
  constructor({ reason }: { reason: string }) {
    super(`agreed mode is not deployed: ${reason}`, { details: 'Deploy a Committee and call Coprocessor.setCommittee (deployVerity does both).' });
  }
}
