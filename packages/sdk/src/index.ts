export * from './generated/contracts.js';
export { requestBinding } from './binding.js';
export { toSolidityProof, type SnarkjsProof } from './proof.js';
export { connect } from './connect.js';
export { DEFAULT_LOG_RANGE, findLatestLog, getLogsBounded, type BoundedLogsParameters } from './logs.js';
export { deploy, deployVerity, setCommitteeParameters, stakeNode, type CommitteeOptions, type DeployOptions, type VerityAddresses, type Wallet } from './deploy.js';
export {
  AgreedPhase, Criterion, CRITERIA, decodeAnswer, encodeAnswer, InvalidAnswerError, normalizeAnswer, parseNumericAnswer, readRule, registerAgreedModel, RoundOutcome, Vote, voteCommitment,
  type AgreedRule, type CriterionName, type StoredRule,
} from './agreed.js';
export {
  createVerityClient, decodeProvedOutput, Mode, RequestStatus, ResultTimeoutError, RequestRefundedError,
  type IOSpec, type VerityClient, type VerityResult,
} from './client.js';
export { BaseError, ContractRevertError, decodeRevert } from './errors/index.js';
export { decodeVerityEvents, requestIdsOf, sendContract, withGasMargin, type VerityEvent } from './send.js';
