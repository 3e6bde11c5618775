export { BaseError } from './base.js';
export { ContractRevertError, decodeRevert } from './contract.js';
