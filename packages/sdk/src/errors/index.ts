export { BaseError } from './base.js';
export { ContractRevertError, decodeRevert } from './contract.js';
export { AdminDelayError, DevSetupError, DEVNET_CHAIN_IDS, isDevnet, UnpinnedWeightsError, UnsupportedVisibilityError } from './deploy.js';
export { RpcUnreachableError, rpcUnreachable } from './rpc.js';
