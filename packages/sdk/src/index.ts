export * from './generated/contracts.js';
export { describeAnswer, type AnswerFormat } from './answer.js';
export { requestBinding, requestsBinding } from './binding.js';
export { provedFulfilment, type ProvedFulfilment } from './fulfilment.js';
export { decodeOutputWords, OUTPUT_WORD_BITS, toSolidityProof, type SnarkjsProof } from './proof.js';
export { connect } from './connect.js';
export { DEFAULT_LOG_RANGE, findLatestLog, getLogsBounded, type BoundedLogsParameters } from './logs.js';
export {
  cancelChange, committeeParametersChange, coprocessorParametersChange, DEFAULT_ADMIN_DELAY, DEFAULT_UNBONDING_PERIOD, DEFAULT_UPGRADE_DELAY, deploy, deployVerity, executeChange,
  nodeParametersChange, scheduleChange, type CommitteeOptions, type CoprocessorParameters, type DeployOptions, type TimelockChange, type VerityAddresses, type Wallet,
} from './deploy.js';
export { serveModels, stakeNode, stopServing } from './operators.js';
export {
  registerProvedModel, setRequestBatchVerifier, SetupKind, toContractSpec, updateProvedModel, versionSpecOf, WeightsPinning,
  type CompiledModelReport, type SetupKindName, type VerifierSource, type VersionSpec, type WeightsPinningName,
} from './models.js';
export {
  AgreedPhase, ballotSigner, ballotTypedData, Criterion, CRITERIA, decodeAnswer, encodeAnswer, InvalidAnswerError, InvalidRuleError, normalizeAnswer, parseNumericAnswer, readRule, registerAgreedModel, RoundOutcome, signBallot, Vote, voteCommitment,
  type AgreedRule, type Ballot, type CriterionName, type Opening, type SignedBallot, type StoredRule,
} from './agreed.js';
export {
  createVerityClient, decodeProvedOutput, Mode, modeName, RequestStatus, ResultTimeoutError, RequestRefundedError, WalletRequiredError,
  type IOSpec, type ModeName, type QuoteFunction, type VerityClient, type VerityResult,
} from './client.js';
export { ANSWER_GAS, quoteRequest, type GasQuote, type QuoteRequestParameters } from './quote.js';
export {
  AdminDelayError, BaseError, ContractRevertError, decodeRevert, DevSetupError, DEVNET_CHAIN_IDS, EventNotFoundError, isDevnet, NoCommitteeError, RpcUnreachableError, rpcUnreachable,
  TransactionRevertedError, UnpinnedWeightsError, UnsupportedVisibilityError, walk,
} from './errors/index.js';
export { decodeVerityEvents, requestIdsOf, sendContract, GAS_MARGIN, withGasMargin, type VerityEvent } from './send.js';
