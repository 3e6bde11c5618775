// The shared root and the errors more than one package throws live in @verity/errors; this path keeps exporting them.
export { BaseError, EventNotFoundError, NoCommitteeError, TransactionRevertedError, walk } from '@verity/errors';
export { ContractRevertError, decodeRevert } from './contract.js';
export { AdminDelayError, DevSetupError, DEVNET_CHAIN_IDS, isDevnet, UnpinnedWeightsError, UnsupportedVisibilityError } from './deploy.js';
export { RpcUnreachableError, rpcUnreachable } from './rpc.js';
