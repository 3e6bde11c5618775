export { BaseError, walk } from './base.js';
export { EventNotFoundError, NoCommitteeError, TransactionRevertedError } from './chain.js';
