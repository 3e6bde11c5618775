// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Timelocked} from "./Timelocked.sol";
import {IAgreedSettlement} from "./interfaces/IAgreedSettlement.sol";
import {ICommittee} from "./interfaces/ICommittee.sol";
import {ICoprocessor} from "./interfaces/ICoprocessor.sol";
import {IGroth16BatchVerifier} from "./interfaces/IGroth16BatchVerifier.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IPoseidon8} from "./interfaces/IPoseidon8.sol";
import {IRequestBatchRegistry} from "./interfaces/IRequestBatchRegistry.sol";
import {IVerityConsumer} from "./interfaces/IVerityConsumer.sol";
import {PullPayments} from "./PullPayments.sol";
import {CoprocessorViews} from "./CoprocessorViews.sol";
import {OutputCodec} from "./OutputCodec.sol";

/// @title Coprocessor
/// @notice Requests, escrow, proof-checked fulfilment, callbacks, deadlines and refunds.
/// @dev A request stores a Poseidon commitment to its input, computed here from the input
/// bytes, so the node must prove on exactly that input. The proof's last public signal binds
/// (chain, this contract, request id, prover address): a proof cannot serve another request or
/// be claimed by another sender. Uniqueness is keyed on the request id, never on proof bytes
/// (Groth16 proofs can be re-randomised). Money moves by pull payments only.
///
/// Assignment: a proved request's primary node is drawn by stake among the operators serving the
/// model, from the hash of the request's block (`drawBlock`), which does not exist yet while
/// the request is sent, so a requester cannot aim its request at a node. It is fixed by `assign`
/// (anyone, from the next block on) or by the first `fulfill`. A block producer can still
/// withhold its block to redraw (see docs/SECURITY.md). Only the primary may fulfil before
/// `exclusiveUntil`; a primary that was assigned in time and let another node serve after its
/// window is slashed `missSlash`, to the treasury. A request nobody serves is refunded and
/// nobody is slashed: nobody can profit from a request it makes (issue 15, attacks 1 and 2).
///
/// Agreed-mode models go through the same `request` and callback: the request is escrowed here
/// with keccak256 of its input, the `committee` decides the answer (see Committee.sol) and
/// settles it through `settleAgreed` or `refundAgreed`; its phase deadlines take the place of
/// the request deadline. Parameters change only through the timelock, within bounds.
contract Coprocessor is Timelocked, PullPayments, ICoprocessor, IAgreedSettlement {
    enum Status {
        None,
        Pending,
        Fulfilled,
        Refunded
    }

    /// @notice A request as `getRequest` returns it: its record and its terms put together.
    struct Request {
        address requester;
        Status status;
        uint32 callbackGasLimit;
        /// @dev proved or agreed
        IModelRegistry.Mode mode;
        /// @dev the model version the request was made against (its verifier and IO spec)
        uint32 version;
        bytes32 modelId;
        address modelOwner;
        uint64 deadline;
        address verifier;
        /// @dev until when only `primary` may fulfil the request
        uint64 exclusiveUntil;
        /// @dev the node drawn by stake to serve first (0 until assigned)
        address primary;
        /// @dev when `assign` (or the first `fulfill`) fixed the primary (0: not yet)
        uint64 assignedAt;
        uint256 escrow;
        uint96 modelFee;
        uint96 protocolFee;
        /// @dev the block whose hash draws the primary (the request's block; 0 in agreed mode)
        uint64 drawBlock;
        /// @dev proved: Poseidon commitment of the input; agreed: keccak256 of the input
        uint256 inputCommitment;
        IModelRegistry.IOSpec io;
    }

    /// @dev What one request stores: 3 slots (a 4th once a primary is assigned). What many
    /// requests share (model, version, owner, verifier, IO spec, fees, timeouts) is stored once
    /// in a `Terms` entry that the record points to, so a request batch reads it once.
    struct Record {
        // slot 0: what every path reads
        address requester;
        Status status;
        /// @dev a primary was fixed (`assign` or the first `fulfill`): read `primary`, `assignedAt`
        bool assigned;
        uint32 callbackGasLimit;
        /// @dev the id of the request's `Terms`
        uint48 terms;
        // slot 1
        uint96 escrow;
        uint64 requestedAt;
        /// @dev the block whose hash draws the primary (the request's block; 0 in agreed mode)
        uint64 drawBlock;
        // slot 2
        uint256 inputCommitment;
        // slot 3: written by `_assign` only
        address primary;
        uint64 assignedAt;
    }

    /// @dev The part of a request that many requests share, snapshotted at request time.
    struct Terms {
        bytes32 modelId;
        address modelOwner;
        uint32 version;
        IModelRegistry.Mode mode;
        address verifier;
        /// @dev seconds after the request during which only the primary may fulfil it (agreed: 0)
        uint64 assignmentWindow;
        IModelRegistry.IOSpec io;
        uint96 modelFee;
        uint96 protocolFee;
        /// @dev seconds after the request until its deadline (agreed: 0, no deadline here)
        uint64 requestTimeout;
    }

    /// @notice Everything the admin sets (through the timelock, within bounds).
    struct Parameters {
        /// @dev paid to the node that serves a request (agreed: shared by the committee's majority)
        uint256 nodeFee;
        /// @dev paid to `treasury` per fulfilled request
        uint256 protocolFee;
        /// @dev receives protocol fees and miss slashes
        address treasury;
        /// @dev wei per unit of callback gas a requester pays
        uint256 callbackGasPrice;
        /// @dev seconds a proved request may wait for its answer before it can be refunded
        uint64 requestTimeout;
        uint32 maxCallbackGasLimit;
        /// @dev seconds (from the request) during which only the primary may fulfil it
        uint64 assignmentWindow;
        /// @dev stake taken from a primary that let another node serve its request after its window
        uint256 missSlash;
    }

    /// @dev BN254 scalar field: every public signal must be below it.
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev A request-batch proof's commitment signal j is c_2j + COMMITMENT_PAIR * c_2j+1 (mod
    /// the field) of its slots' input commitments (packages/zkml/src/r1cs/requests.ts).
    uint256 internal constant COMMITMENT_PAIR = 2 ** 128;
    /// @dev Gas the fulfilment needs after the callback returns (status event, bookkeeping).
    uint256 public constant CALLBACK_RESERVE = 20_000;
    /// @notice Largest input of an agreed-mode request, in bytes.
    uint256 public constant MAX_AGREED_INPUT = 8192;
    /// @notice Bounds on the parameters: fees, callback gas price and gas, request timeout.
    uint256 public constant MAX_FEE = 1 ether;
    uint256 public constant MAX_CALLBACK_GAS_PRICE = 1000 gwei;
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 10_000_000;
    uint64 public constant MIN_REQUEST_TIMEOUT = 10 minutes;
    uint64 public constant MAX_REQUEST_TIMEOUT = 7 days;

    IModelRegistry public immutable registry;
    /// @notice Where the views that do not fit here live (`getRequest`, `primaryOf`,
    /// `inputHashOf`, `decodeOutputs`, `parameters`): the fallback forwards them.
    CoprocessorViews public immutable views;
    IPoseidon8 public immutable poseidon;
    INodeRegistry public immutable nodes;

    /// @notice Paid to the node that serves a request (agreed: shared by the committee's
    /// majority). The three prices of a quote share one slot: a request reads them in one.
    uint96 public nodeFee;
    /// @notice Paid to `treasury` per fulfilled request.
    uint96 public protocolFee;
    /// @notice Wei per unit of callback gas a requester pays.
    uint64 public callbackGasPrice;
    /// @notice Receives protocol fees, miss slashes, and the pots of refunded agreed-mode requests.
    address public treasury;
    uint64 public requestTimeout;
    /// @notice Seconds (from the request) during which only the request's primary node may fulfil it.
    uint64 public assignmentWindow;
    /// @notice Requests made (ids run from 1). In the slot of the limit every request reads.
    uint64 public requestCount;
    uint32 public maxCallbackGasLimit;
    /// @notice Stake taken from a primary that was assigned in time and let another node serve
    /// its request after its window; it goes to the treasury (never to the requester).
    uint256 public missSlash;
    /// @notice The agreed-mode committee (zero: agreed-mode requests are refused).
    address public committee;
    /// @notice Wei held for pending requests (96 bits hold all the ether there is). In the
    /// committee's slot: an agreed request and its settlement read both.
    uint96 public totalEscrow;

    mapping(uint256 => Record) private records;
    /// @dev Terms by id (from 1), and the id of each distinct terms' hash.
    mapping(uint48 => Terms) private terms;
    mapping(bytes32 => uint48) private termsIdOf;
    uint48 private termsCount;

    error UnsupportedMode(bytes32 modelId, IModelRegistry.Mode mode);
    error InsufficientFee(uint256 required, uint256 paid);
    error InputLengthMismatch(bytes32 modelId, uint256 expected, uint256 got);
    error CallbackGasLimitTooHigh(uint32 requested, uint32 max);
    error ModelVersionMismatch(bytes32 modelId, uint32 wanted, uint32 current);
    error NoServer(bytes32 modelId);
    error RequestNotPending(uint256 requestId, Status status);
    error RequestExpired(uint256 requestId, uint64 deadline);
    error RequestNotExpired(uint256 requestId, uint64 deadline);
    error OutputLengthMismatch(uint256 requestId, uint256 expected, uint256 got);
    error InvalidProof(uint256 requestId);
    error BatchLengthMismatch(uint256 requests, uint256 outputs, uint256 proofs);
    error DuplicateRequest(uint256 requestId);
    error RequestIdsNotAscending(uint256 previous, uint256 requestId);
    error MixedBatch(uint256 requestId, bytes32 modelId, uint32 version);
    error InvalidBatchProof(uint256 firstRequestId, uint256 count);
    error NoRequestBatchVerifier(bytes32 modelId, uint32 version);
    error RequestBatchSize(uint256 requests, uint256 k);
    error RequestBeforeBatchVerifier(uint256 requestId, uint64 requestBlock, uint64 sinceBlock);
    error InsufficientCallbackGas(uint256 requestId, uint256 available, uint256 required);
    error NotServing(address operator, bytes32 modelId);
    error NotAssigned(uint256 requestId, address primary, uint64 exclusiveUntil);
    error DrawNotReady(uint256 requestId, uint64 drawBlock);
    error DrawExpired(uint256 requestId, uint64 drawBlock);
    error AlreadyAssigned(uint256 requestId, address primary);
    error UnexpectedPayment(address from);
    error NotCommittee(address caller);
    error CommitteeAlreadySet(address committee);
    error InvalidParameter(string name, uint256 value);

    event Requested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        uint256 inputCommitment,
        bytes input,
        uint32 callbackGasLimit,
        uint64 deadline,
        uint256 fee,
        uint32 version
    );
    event Fulfilled(uint256 indexed requestId, address indexed node, bytes output);
    event CallbackCompleted(uint256 indexed requestId, bool success);
    event Refunded(uint256 indexed requestId, address indexed requester, uint256 amount);
    event ParametersChanged(Parameters parameters);
    event Assigned(uint256 indexed requestId, address indexed primary, uint64 exclusiveUntil);
    event MissSlashed(uint256 indexed requestId, address indexed primary, uint256 amount);
    event CommitteeChanged(address committee);

    /// @param adminDelay_ seconds between scheduling a parameter change and executing it
    /// @param p the initial parameters (bounded as in `setParameters`)
    constructor(
        IModelRegistry registry_,
        IPoseidon8 poseidon_,
        INodeRegistry nodes_,
        address owner_,
        uint64 adminDelay_,
        Parameters memory p
    ) Ownable(owner_) Timelocked(adminDelay_) {
        registry = registry_;
        poseidon = poseidon_;
        nodes = nodes_;
        views = new CoprocessorViews(this, nodes_);
        _setParameters(p);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Sets every parameter at once.
    /// Requirements: through the timelock (`scheduleChange`, then `executeChange` after
    /// `adminDelay`); `treasury != 0`; `nodeFee`, `protocolFee <= MAX_FEE`;
    /// `callbackGasPrice <= MAX_CALLBACK_GAS_PRICE`; `maxCallbackGasLimit <= MAX_CALLBACK_GAS_LIMIT`;
    /// `MIN_REQUEST_TIMEOUT <= requestTimeout <= MAX_REQUEST_TIMEOUT`;
    /// `assignmentWindow <= requestTimeout / 2` (backups get at least half the time);
    /// `missSlash <= nodes.minStake() / 4`.
    function setParameters(Parameters calldata p) external onlyTimelocked {
        _setParameters(p);
    }

    /// @notice Connects the agreed-mode committee, once, at deployment.
    /// Requirements: the owner; no committee connected yet.
    function initCommittee(address committee_) external onlyOwner {
        if (committee != address(0)) revert CommitteeAlreadySet(committee);
        _setCommittee(committee_);
    }

    /// @notice Replaces the agreed-mode committee. Requirements: through the timelock; not zero.
    function setCommittee(address committee_) external onlyTimelocked {
        _setCommittee(committee_);
    }

    function _setParameters(Parameters memory p) private {
        if (p.treasury == address(0)) revert InvalidParameter("treasury", 0);
        if (p.nodeFee > MAX_FEE) revert InvalidParameter("nodeFee", p.nodeFee);
        if (p.protocolFee > MAX_FEE) revert InvalidParameter("protocolFee", p.protocolFee);
        if (p.callbackGasPrice > MAX_CALLBACK_GAS_PRICE) revert InvalidParameter("callbackGasPrice", p.callbackGasPrice);
        if (p.maxCallbackGasLimit > MAX_CALLBACK_GAS_LIMIT) revert InvalidParameter("maxCallbackGasLimit", p.maxCallbackGasLimit);
        if (p.requestTimeout < MIN_REQUEST_TIMEOUT || p.requestTimeout > MAX_REQUEST_TIMEOUT) {
            revert InvalidParameter("requestTimeout", p.requestTimeout);
        }
        if (p.assignmentWindow > p.requestTimeout / 2) revert InvalidParameter("assignmentWindow", p.assignmentWindow);
        if (p.missSlash > nodes.minStake() / 4) revert InvalidParameter("missSlash", p.missSlash);
        // Within the bounds just checked: MAX_FEE < 2^96, MAX_CALLBACK_GAS_PRICE < 2^64.
        (nodeFee, protocolFee, callbackGasPrice) = (uint96(p.nodeFee), uint96(p.protocolFee), uint64(p.callbackGasPrice));
        treasury = p.treasury;
        requestTimeout = p.requestTimeout;
        maxCallbackGasLimit = p.maxCallbackGasLimit;
        assignmentWindow = p.assignmentWindow;
        missSlash = p.missSlash;
        emit ParametersChanged(p);
    }

    function _setCommittee(address committee_) private {
        if (committee_ == address(0)) revert InvalidParameter("committee", 0);
        committee = committee_;
        emit CommitteeChanged(committee_);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc ICoprocessor
    /// @dev The model owner's fee + the node fee + the protocol fee + the callback gas at `callbackGasPrice`.
    function quote(bytes32 modelId, uint32 callbackGasLimit) public view returns (uint256) {
        return _price(registry.requestSpec(modelId).fee, callbackGasLimit);
    }

    function _price(uint256 modelFee, uint32 callbackGasLimit) private view returns (uint256) {
        return modelFee + nodeFee + protocolFee + uint256(callbackGasLimit) * callbackGasPrice;
    }

    /// @dev Only the NodeRegistry pays this contract directly (slashed stake, credited to the treasury).
    receive() external payable {
        if (msg.sender != address(nodes)) revert UnexpectedPayment(msg.sender);
    }

    /// @inheritdoc ICoprocessor
    /// @dev The fee is escrowed until fulfilment or refund.
    /// @param input for proved models: `io.inputCount` unsigned values of `io.inputWidth` bytes,
    /// big-endian; for agreed models: the question (UTF-8 text or the model's input encoding)
    /// @param callbackGasLimit gas the callback to `msg.sender` will get
    /// Requirements:
    /// - the model exists; an agreed-mode model needs the committee to be connected;
    /// - some operator serves the model (`nodes.modelStake(modelId) > 0`), else `NoServer`;
    /// - `msg.value >= quote(modelId, callbackGasLimit)` (the whole value is escrowed);
    /// - `callbackGasLimit <= maxCallbackGasLimit`; `input` has the model's exact length
    ///   (agreed mode: 1 to `MAX_AGREED_INPUT` bytes).
    function request(bytes32 modelId, bytes calldata input, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        return _request(modelId, registry.requestSpec(modelId), input, callbackGasLimit);
    }

    /// @inheritdoc ICoprocessor
    /// @dev Requirements: as `request`; `version` is the model's effective version, else
    /// `ModelVersionMismatch(modelId, version, current)`.
    function requestVersion(bytes32 modelId, uint32 version, bytes calldata input, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        IModelRegistry.RequestSpec memory m = registry.requestSpec(modelId);
        if (m.version != version) revert ModelVersionMismatch(modelId, version, m.version);
        return _request(modelId, m, input, callbackGasLimit);
    }

    function _request(bytes32 modelId, IModelRegistry.RequestSpec memory m, bytes calldata input, uint32 callbackGasLimit)
        private
        returns (uint256 requestId)
    {
        bool agreed = _checkRequest(modelId, m, input.length, callbackGasLimit);
        requestId = ++requestCount;
        // Agreed mode: keccak256(input), for validators to check the event's input against.
        uint256 commitment = agreed ? uint256(keccak256(input)) : inputCommitment(input, m.io.inputWidth, m.weightsCommitment);
        _store(requestId, _termsOf(modelId, m, agreed), callbackGasLimit, agreed, commitment);
        _emitRequested(requestId, modelId, commitment, input, callbackGasLimit, agreed, m.version);
        if (agreed) ICommittee(committee).open(requestId, modelId, msg.sender);
    }

    function _emitRequested(
        uint256 requestId,
        bytes32 modelId,
        uint256 commitment,
        bytes calldata input,
        uint32 callbackGasLimit,
        bool agreed,
        uint32 version
    ) private {
        // Agreed mode: the committee's phase deadlines bound the request instead.
        uint64 deadline = agreed ? type(uint64).max : uint64(block.timestamp) + requestTimeout;
        emit Requested(requestId, modelId, msg.sender, commitment, input, callbackGasLimit, deadline, msg.value, version);
    }

    /// @dev Writes a new request's record (3 slots) and escrows its value.
    function _store(uint256 requestId, uint48 t, uint32 callbackGasLimit, bool agreed, uint256 commitment) private {
        Record storage r = records[requestId];
        (r.requester, r.status, r.callbackGasLimit, r.terms) = (msg.sender, Status.Pending, callbackGasLimit, t);
        // The primary is drawn from this block's hash, which nobody knows while this runs.
        (r.escrow, r.requestedAt, r.drawBlock) =
            (SafeCast.toUint96(msg.value), uint64(block.timestamp), agreed ? 0 : uint64(block.number));
        r.inputCommitment = commitment;
        totalEscrow += uint96(msg.value); // the escrow's cast checked it fits
    }

    /// @dev The id of the terms a request on `m` gets now (a new entry when the model, its
    /// version, owner, fee or this contract's parameters changed since the last one).
    function _termsOf(bytes32 modelId, IModelRegistry.RequestSpec memory m, bool agreed) private returns (uint48 id) {
        IModelRegistry.IOSpec memory io = agreed ? IModelRegistry.IOSpec(0, 0, 0, 0, 0) : m.io;
        (address verifier, uint64 window, uint64 timeout) = agreed ? (address(0), 0, 0) : (m.verifier, assignmentWindow, requestTimeout);
        bytes32 key = keccak256(abi.encode(modelId, m.owner, m.version, m.mode, verifier, window, io, m.fee, protocolFee, timeout));
        id = termsIdOf[key];
        if (id == 0) {
            id = ++termsCount;
            termsIdOf[key] = id;
            Terms storage t = terms[id];
            (t.modelId, t.modelOwner, t.version, t.mode) = (modelId, m.owner, m.version, m.mode);
            (t.verifier, t.assignmentWindow, t.io) = (verifier, window, io);
            (t.modelFee, t.protocolFee, t.requestTimeout) = (SafeCast.toUint96(m.fee), uint96(protocolFee), timeout);
        }
    }

    /// @inheritdoc IAgreedSettlement
    function modelOf(uint256 requestId) external view returns (bytes32) {
        return terms[records[requestId].terms].modelId;
    }

    /// @dev Checks mode, servers, callback gas, payment and input length, and marks this block as
    /// the model's draw block in the NodeRegistry; returns whether the model is agreed-mode.
    function _checkRequest(bytes32 modelId, IModelRegistry.RequestSpec memory m, uint256 inputLength, uint32 callbackGasLimit)
        private
        returns (bool agreed)
    {
        agreed = m.mode == IModelRegistry.Mode.Agreed;
        if (agreed && committee == address(0)) revert UnsupportedMode(modelId, m.mode);
        // The request is drawn from this block: the registry keeps this block's stakes for it.
        if (nodes.markDrawBlock(modelId) == 0) revert NoServer(modelId);
        if (callbackGasLimit > maxCallbackGasLimit) revert CallbackGasLimitTooHigh(callbackGasLimit, maxCallbackGasLimit);
        uint256 price = _price(m.fee, callbackGasLimit);
        if (msg.value < price) revert InsufficientFee(price, msg.value);
        if (agreed) {
            if (inputLength == 0 || inputLength > MAX_AGREED_INPUT) revert InputLengthMismatch(modelId, MAX_AGREED_INPUT, inputLength);
        } else {
            uint256 expected = uint256(m.io.inputCount) * m.io.inputWidth;
            if (inputLength != expected) revert InputLengthMismatch(modelId, expected, inputLength);
        }
    }

    // ---------------------------------------------------------------- assignment

    /// @notice Fixes a proved request's primary node: drawn by stake among the model's servers
    /// from the hash of the request's block. Anyone may call it (nodes do, so that a primary
    /// that then misses its window can be slashed).
    /// Requirements: the request is pending, proved and not assigned yet; `block.number >
    /// drawBlock` (else `DrawNotReady`); the draw block's hash is still available (the last 256
    /// blocks; else `DrawExpired`: the request has no primary and any server may fulfil it);
    /// someone serves the model.
    function assign(uint256 requestId) external {
        (Record storage r, Terms storage t) = _provedPending(requestId);
        if (r.assigned) revert AlreadyAssigned(requestId, r.primary);
        if (block.number <= r.drawBlock) revert DrawNotReady(requestId, r.drawBlock);
        if (blockhash(r.drawBlock) == 0) revert DrawExpired(requestId, r.drawBlock);
        address primary = _drawPrimary(requestId, r.drawBlock, t.modelId);
        if (primary == address(0)) revert NoServer(t.modelId);
        _assign(requestId, r, primary, r.requestedAt + t.assignmentWindow);
    }

    /// @dev The primary the draw gives, by stake among the model's servers as they stood at the
    /// end of the draw block, from that block's hash; 0 while that hash is unknown or gone
    /// (`blockhash` is zero for the current block and for blocks older than 256) or when nobody
    /// served the model then. A stake change made once the hash is known changes nothing here.
    function _drawPrimary(uint256 requestId, uint64 drawBlock, bytes32 modelId) private view returns (address) {
        bytes32 h = blockhash(drawBlock);
        return h == 0 ? address(0) : nodes.selectAt(modelId, OutputCodec.drawSeed(h, requestId), drawBlock);
    }

    function _assign(uint256 requestId, Record storage r, address primary, uint64 exclusiveUntil) private {
        r.assigned = true;
        (r.primary, r.assignedAt) = (primary, uint64(block.timestamp));
        emit Assigned(requestId, primary, exclusiveUntil);
    }

    function _provedPending(uint256 requestId) private view returns (Record storage r, Terms storage t) {
        r = records[requestId];
        t = terms[r.terms];
        if (r.status != Status.Pending) revert RequestNotPending(requestId, r.status);
        if (t.mode != IModelRegistry.Mode.Proved) revert UnsupportedMode(t.modelId, t.mode);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Delivers a proved answer: checks the proof, pays, then calls the requester back. A
    /// backup node serving after the primary's window is paid the node fee; the primary, if it
    /// was assigned before its window ended, is slashed `missSlash` to the treasury.
    /// @param outputWords the packed outputs (the proof's first public signals)
    /// @param proof Groth16 proof `[a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]` (snarkjs Solidity calldata order)
    /// Requirements:
    /// - the caller can serve the model (`nodes.canServe`: staked and opted in), else `NotServing`;
    /// - the request is pending and its deadline has not passed;
    /// - before `exclusiveUntil`: the caller is the request's primary (fixed here if `assign` was
    ///   not called; `DrawNotReady` in the request's own block), unless the draw has expired;
    /// - the proof verifies for the stored input commitment and a binding to (requestId, msg.sender);
    /// - the transaction forwards enough gas for the paid callback gas after the 63/64 rule.
    function fulfill(uint256 requestId, uint256[] calldata outputWords, uint256[8] calldata proof) external {
        (Record storage r, Terms storage t, address primary) = _admit(requestId, outputWords.length, true);
        if (!_verify(t.verifier, proof, _publicSignals(requestId, r, outputWords))) revert InvalidProof(requestId);
        _settleProved(requestId, r, t, primary);
        _answer(requestId, r, t, outputWords);
    }

    /// @notice Delivers several proved answers for one model version in one transaction, their
    /// proofs checked together by the version's verifier (`verifyBatch`: N + 3 pairings instead
    /// of 4N). Each request is checked, paid, slashed for and called back exactly as by `fulfill`
    /// (a failing callback fails only its own request); every request is settled before the
    /// first callback runs. One false proof, or one request that cannot be fulfilled, reverts the
    /// whole batch: the node then fulfils the requests one by one.
    /// @param requestIds strictly ascending
    /// @param outputWords each request's packed outputs (its proof's first public signals)
    /// @param proofs each request's Groth16 proof, bound to (its request id, msg.sender)
    /// Requirements:
    /// - at least one request; the three arrays have the same length (`BatchLengthMismatch`);
    /// - request ids strictly ascending (`DuplicateRequest` for a repeated id, `RequestIdsNotAscending`);
    /// - every request is for the model and version of the first (`MixedBatch`);
    /// - each request meets `fulfill`'s requirements (caller serving the model, pending, not
    ///   expired, the caller its primary inside the window, output length);
    /// - the version's verifier has `verifyBatch` and accepts every proof (`InvalidBatchProof`);
    /// - enough gas for every paid callback after the 63/64 rule.
    function fulfillBatch(uint256[] calldata requestIds, uint256[][] calldata outputWords, uint256[8][] calldata proofs) external {
        uint256 n = requestIds.length;
        if (n == 0 || outputWords.length != n || proofs.length != n) {
            revert BatchLengthMismatch(n, outputWords.length, proofs.length);
        }
        address[] memory primaries = new address[](n);
        uint256[][] memory signals = new uint256[][](n);
        Terms storage first = terms[records[requestIds[0]].terms];
        for (uint256 i = 0; i < n; i++) {
            uint256 id = requestIds[i];
            if (i > 0) _checkAscending(requestIds[i - 1], id);
            Record storage r;
            Terms storage t;
            // The caller's right to serve is the model's: checked once, on the first request.
            (r, t, primaries[i]) = _admit(id, outputWords[i].length, i == 0);
            if (t.modelId != first.modelId || t.version != first.version) revert MixedBatch(id, first.modelId, first.version);
            signals[i] = _publicSignals(id, r, outputWords[i]);
        }
        if (!_verifyBatch(first.verifier, proofs, signals)) revert InvalidBatchProof(requestIds[0], n);
        // Every request is closed and paid before any callback runs: a callback that re-enters
        // finds the whole batch settled.
        for (uint256 i = 0; i < n; i++) {
            Record storage r = records[requestIds[i]];
            _settleProved(requestIds[i], r, terms[r.terms], primaries[i]);
        }
        for (uint256 i = 0; i < n; i++) {
            Record storage r = records[requestIds[i]];
            _answer(requestIds[i], r, terms[r.terms], outputWords[i]);
        }
    }

    /// @notice Delivers up to K proved answers of one model version from ONE proof of the version's
    /// request-batch circuit (`ModelRegistry.requestBatchOf`, compiled with `verity compile
    /// --requests K`). The proof's public signals are the answers' output words packed across
    /// slots, the slots' input commitments two a signal (`COMMITMENT_PAIR`; request i's stored one
    /// in slot i, 0 in the empty slots after the last request, which nobody answers), and one
    /// binding of the whole batch
    /// (`requestsBinding`). Each request is checked, closed, paid, slashed for and called back as
    /// by `fulfill` (a failing callback fails only its own request); every request is settled
    /// before the first callback runs; the fees of the batch are credited in one sum each.
    /// Unlike `fulfill`, a primary drawn here is not stored (the request is closed anyway).
    /// @param requestIds strictly ascending; request i is slot i
    /// @param outputWords the K slots' outputs packed across slots (the proof's first public signals)
    /// @param proof the batch's Groth16 proof, bound to (these request ids, msg.sender)
    /// Requirements:
    /// - the first request's version has a request-batch verifier (`NoRequestBatchVerifier`) and
    ///   `1 <= requestIds.length <= k` (`RequestBatchSize`);
    /// - request ids strictly ascending; every request of the first's model and version
    ///   (`MixedBatch`) and made after the batch verifier was set (`RequestBeforeBatchVerifier`);
    /// - each request meets `fulfill`'s requirements (caller serving the model, pending, not
    ///   expired, the caller its primary inside the window); `outputWords` has the batch
    ///   circuit's word count (`OutputLengthMismatch`);
    /// - the proof verifies (`InvalidBatchProof`); enough gas for every paid callback.
    function fulfillRequests(uint256[] calldata requestIds, uint256[] calldata outputWords, uint256[8] calldata proof) external {
        RequestBatchContext memory c = _openBatch(requestIds);
        uint256[] memory signals = _batchSignals(c, outputWords, requestIds[0]);
        _closeBatch(requestIds, c, signals, outputWords.length);
        signals[signals.length - 1] = requestsBinding(requestIds, msg.sender);
        if (!_verify(c.verifier, proof, signals)) revert InvalidBatchProof(requestIds[0], requestIds.length);
        _settleBatch(requestIds, c);
        _answerBatch(requestIds, c.io, outputWords);
    }

    /// @dev What a request batch's checks and settlement share: its first request's terms (model,
    /// version, fees, timeouts), their request-batch verifier, and the batch's fee sums.
    struct RequestBatchContext {
        uint48 terms;
        bytes32 modelId;
        uint32 version;
        address modelOwner;
        address verifier;
        uint64 sinceBlock;
        uint64 assignmentWindow;
        uint64 requestTimeout;
        uint256 k;
        uint256 modelFee;
        uint256 protocolFee;
        IModelRegistry.IOSpec io;
        uint256 modelFees;
        uint256 protocolFees;
        uint256 escrow;
    }

    /// @dev The batch's context from its first request; checks its size, its version's batch
    /// verifier and that the caller serves the model.
    function _openBatch(uint256[] calldata requestIds) private view returns (RequestBatchContext memory c) {
        uint256 n = requestIds.length;
        if (n == 0) revert RequestBatchSize(0, 0);
        (Record storage first, Terms storage t) = _provedPending(requestIds[0]);
        (c.terms, c.modelId, c.version, c.modelOwner, c.io) = (first.terms, t.modelId, t.version, t.modelOwner, t.io);
        (c.modelFee, c.protocolFee, c.assignmentWindow, c.requestTimeout) = (t.modelFee, t.protocolFee, t.assignmentWindow, t.requestTimeout);
        IRequestBatchRegistry.RequestBatch memory b = IRequestBatchRegistry(address(registry)).requestBatchOf(c.modelId, c.version);
        if (b.verifier == address(0)) revert NoRequestBatchVerifier(c.modelId, c.version);
        if (n > b.k) revert RequestBatchSize(n, b.k);
        if (!nodes.canServe(msg.sender, c.modelId)) revert NotServing(msg.sender, c.modelId);
        (c.verifier, c.sinceBlock, c.k) = (b.verifier, b.sinceBlock, b.k);
    }

    /// @dev A request batch's public signals (its output words, one signal per two slots'
    /// commitments, the binding) with its output words in place (the rest still 0), after
    /// checking the word count of its `k` slots.
    function _batchSignals(RequestBatchContext memory c, uint256[] calldata outputWords, uint256 firstId)
        private
        pure
        returns (uint256[] memory signals)
    {
        uint256 perWord = 248 / c.io.outputBits;
        uint256 words = (c.k * c.io.outputCount + perWord - 1) / perWord;
        if (outputWords.length != words) revert OutputLengthMismatch(firstId, words, outputWords.length);
        signals = new uint256[](words + (c.k + 1) / 2 + 1);
        for (uint256 i = 0; i < words; i++) signals[i] = outputWords[i];
    }

    /// @dev Checks and closes each request of a request batch, adds its commitment into its
    /// pair's signal (after the `words` output words), sums the batch's fees and escrow, and
    /// slashes the primaries that let their window pass (all undone if the proof fails). Reads
    /// the record's first three slots (its terms once for the batch), then clears the two it no
    /// longer needs (`_clear`).
    function _closeBatch(uint256[] calldata requestIds, RequestBatchContext memory c, uint256[] memory signals, uint256 words)
        private
    {
        for (uint256 i = 0; i < requestIds.length; i++) {
            uint256 id = requestIds[i];
            if (i > 0) _checkAscending(requestIds[i - 1], id);
            Record storage r = records[id];
            // The record's first two slots, each read once (see `Record` for the bit positions).
            uint256 w0;
            uint256 w1;
            assembly {
                w0 := sload(r.slot)
                w1 := sload(add(r.slot, 1))
            }
            if (Status(uint8(w0 >> 160)) != Status.Pending) revert RequestNotPending(id, Status(uint8(w0 >> 160)));
            if (uint64(w1 >> 160) <= c.sinceBlock) revert RequestBeforeBatchVerifier(id, uint64(w1 >> 160), c.sinceBlock);
            // Same terms as the first request: same model and version. Otherwise (its fee or the
            // parameters changed in between) its own terms must name the same model and version.
            if (uint48(w0 >> 208) == c.terms) {
                _admitInBatch(id, r, w0, w1, c.assignmentWindow, c.requestTimeout, c.modelId);
                c.modelFees += c.modelFee;
                c.protocolFees += c.protocolFee;
            } else {
                Terms storage t = terms[uint48(w0 >> 208)];
                if (t.modelId != c.modelId || t.version != c.version) revert MixedBatch(id, c.modelId, c.version);
                _admitInBatch(id, r, w0, w1, t.assignmentWindow, t.requestTimeout, c.modelId);
                c.modelFees += t.modelFee;
                c.protocolFees += t.protocolFee;
            }
            // Two slots' commitments a signal: slot 2j as is, slot 2j + 1 times COMMITMENT_PAIR.
            uint256 at = words + i / 2;
            signals[at] = i % 2 == 0 ? r.inputCommitment : addmod(signals[at], mulmod(COMMITMENT_PAIR, r.inputCommitment, FIELD), FIELD);
            c.escrow += uint96(w1);
            // Fulfilled (status byte 2), and the two slots it no longer needs cleared.
            assembly {
                sstore(r.slot, or(and(w0, not(shl(160, 0xff))), shl(160, 2)))
            }
            _clear(r);
        }
    }

    /// @dev Pays a verified request batch (each fee in one sum) and records its service.
    function _settleBatch(uint256[] calldata requestIds, RequestBatchContext memory c) private {
        totalEscrow -= uint96(c.escrow); // a sum of pending escrows: at most totalEscrow
        _owe(c.modelOwner, c.modelFees);
        _owe(treasury, c.protocolFees);
        _owe(msg.sender, c.escrow - c.modelFees - c.protocolFees);
        nodes.recordServedTimes(msg.sender, uint64(requestIds.length));
    }

    /// @dev Announces each answer of a settled request batch and calls its requester back, as
    /// `_answer` and `_deliver` do for one request, from one buffer reused by every answer: the
    /// `onVerityResult(requestId, output)` calldata, whose tail (from its `output` offset) is also
    /// the `Fulfilled` event's data. `output` is abi.encode(int256[]) of the slot's outputs.
    function _answerBatch(uint256[] calldata requestIds, IModelRegistry.IOSpec memory io, uint256[] calldata outputWords) private {
        uint256 count = io.outputCount;
        // selector, requestId, offset of output (0x40), output's length, output (0x20, count, values)
        bytes memory buf = new bytes(164 + 32 * count);
        bytes4 selector = IVerityConsumer.onVerityResult.selector;
        assembly {
            mstore(add(buf, 32), selector)
            mstore(add(buf, 100), add(64, mul(32, count)))
            mstore(add(buf, 132), 0x20)
            mstore(add(buf, 164), count)
        }
        for (uint256 i = 0; i < requestIds.length; i++) {
            uint256 id = requestIds[i];
            _writeOutputs(buf, io, outputWords, i * count);
            bytes32 topic = Fulfilled.selector;
            assembly {
                mstore(add(buf, 36), id)
                // The event's data is abi.encode(output): offset 0x20 where the calldata has 0x40.
                mstore(add(buf, 68), 0x20)
                log3(add(buf, 68), add(128, mul(32, count)), topic, id, caller())
                mstore(add(buf, 68), 0x40)
            }
            Record storage r = records[id];
            (address requester, uint256 limit) = (r.requester, r.callbackGasLimit);
            uint256 needed = (limit * 64) / 63 + CALLBACK_RESERVE;
            if (gasleft() < needed) revert InsufficientCallbackGas(id, gasleft(), needed);
            bool success = true;
            // Without copying return data, so a callback cannot grief with a huge return.
            if (requester.code.length != 0) {
                assembly {
                    success := call(limit, requester, 0, add(buf, 32), mload(buf), 0, 0)
                }
            }
            emit CallbackCompleted(id, success);
        }
    }

    /// @dev Writes `io.outputCount` values, from value `from` of the packed words, as signed
    /// int256 words into `buf`'s output (as `OutputCodec.unpack`, without allocating).
    function _writeOutputs(bytes memory buf, IModelRegistry.IOSpec memory io, uint256[] calldata words, uint256 from) private pure {
        uint256 bits = io.outputBits;
        uint256 perWord = 248 / bits;
        uint256 mask = (uint256(1) << bits) - 1;
        uint256 half = uint256(1) << (bits - 1);
        uint256 count = io.outputCount;
        assembly {
            for { let j := 0 } lt(j, count) { j := add(j, 1) } {
                let at := add(from, j)
                let word := calldataload(add(words.offset, mul(div(at, perWord), 32)))
                mstore(add(add(buf, 196), mul(j, 32)), sub(and(shr(mul(bits, mod(at, perWord)), word), mask), half))
            }
        }
    }

    /// @dev `_admit` for a request of a request batch: not expired, and inside its window only
    /// its primary (the one assigned, else the one drawn now, not stored) may serve it; a
    /// primary assigned in time that let its window pass is slashed.
    function _admitInBatch(uint256 requestId, Record storage r, uint256 w0, uint256 w1, uint64 window, uint64 timeout, bytes32 modelId)
        private
    {
        (uint64 at, uint64 drawBlock, bool assigned) = (uint64(w1 >> 96), uint64(w1 >> 160), uint8(w0 >> 168) != 0);
        if (block.timestamp > at + timeout) revert RequestExpired(requestId, at + timeout);
        if (block.timestamp < at + window) {
            if (block.number <= drawBlock) revert DrawNotReady(requestId, drawBlock);
            address primary = assigned ? r.primary : _drawPrimary(requestId, drawBlock, modelId);
            if (primary != address(0) && msg.sender != primary) revert NotAssigned(requestId, primary, at + window);
        } else if (assigned && r.primary != msg.sender && r.assignedAt < at + window) {
            // Served by this node after the window of a primary assigned in time: slashed.
            _slashMissed(requestId, r.primary);
        }
    }

    /// @dev Clears what an answered proved request no longer needs (escrow, times, draw block,
    /// input commitment: the `Requested` event keeps them), for the gas refund; its first slot
    /// (requester, status, terms) and its assignment stay. (`settleAgreed` clears the second
    /// slot only: an agreed request keeps its input hash.)
    function _clear(Record storage r) private {
        assembly {
            sstore(add(r.slot, 1), 0)
            sstore(add(r.slot, 2), 0)
        }
    }

    /// @notice The public signal that ties a request-batch proof to its requests, in order, and one prover.
    function requestsBinding(uint256[] calldata requestIds, address prover) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), prover, requestIds))) >> 4;
    }

    function _checkAscending(uint256 previous, uint256 id) private pure {
        if (id == previous) revert DuplicateRequest(id);
        if (id < previous) revert RequestIdsNotAscending(previous, id);
    }

    function _deadline(Record storage r, Terms storage t) private view returns (uint64) {
        return t.requestTimeout == 0 ? type(uint64).max : r.requestedAt + t.requestTimeout;
    }

    function _exclusiveUntil(Record storage r, Terms storage t) private view returns (uint64) {
        return t.mode == IModelRegistry.Mode.Proved ? r.requestedAt + t.assignmentWindow : 0;
    }

    /// @dev `fulfill`'s checks of one request before its proof: pending and not expired, the
    /// caller serving the model (when `checkServing`), the caller its primary inside the window
    /// (the draw fixed here when `assign` was not called), the output length. Returns the primary.
    function _admit(uint256 requestId, uint256 wordCount, bool checkServing)
        private
        returns (Record storage r, Terms storage t, address primary)
    {
        (r, t) = _provedPending(requestId);
        uint64 deadline = _deadline(r, t);
        if (block.timestamp > deadline) revert RequestExpired(requestId, deadline);
        if (checkServing && !nodes.canServe(msg.sender, t.modelId)) revert NotServing(msg.sender, t.modelId);
        uint64 until = _exclusiveUntil(r, t);
        if (r.assigned) {
            primary = r.primary;
        } else {
            // 0 when nobody served the model at the draw block: then nobody is primary.
            primary = _drawPrimary(requestId, r.drawBlock, t.modelId);
            if (primary != address(0)) _assign(requestId, r, primary, until);
        }
        if (block.timestamp < until) {
            if (block.number <= r.drawBlock) revert DrawNotReady(requestId, r.drawBlock);
            if (primary != address(0) && msg.sender != primary) revert NotAssigned(requestId, primary, until);
        }
        uint256 words = outputWordCount(t.io);
        if (wordCount != words) revert OutputLengthMismatch(requestId, words, wordCount);
    }

    /// @dev A proved request's settlement once its proof verified: closed, fees paid, the
    /// caller's service recorded, and a primary that let it pass its window slashed.
    function _settleProved(uint256 requestId, Record storage r, Terms storage t, address primary) private {
        _close(r, Status.Fulfilled);
        _owe(msg.sender, _payFees(r, t));
        nodes.recordServed(msg.sender);
        // Served by another node after the window of a primary that knew its duty in time.
        if (primary != address(0) && msg.sender != primary && r.assignedAt < _exclusiveUntil(r, t)) {
            _slashMissed(requestId, primary);
        }
        _clear(r);
    }

    /// @dev Announces a settled proved answer and calls the requester back with it.
    function _answer(uint256 requestId, Record storage r, Terms storage t, uint256[] calldata outputWords) private {
        bytes memory output = abi.encode(OutputCodec.unpack(t.io, outputWords, 0));
        emit Fulfilled(requestId, msg.sender, output);
        _deliver(requestId, r, output);
    }

    /// @inheritdoc IAgreedSettlement
    /// @dev The model owner and the treasury are paid as in proved mode, the node share is shared
    /// among `payees` (the final round's majority) in the NodeRegistry, beside their served
    /// counters (`NodeRegistry.withdrawFees` pays it out), and the consumer is called back with
    /// `output` (the answer bytes). Requirements: the caller is the committee; the request is
    /// pending and in agreed mode; enough gas for the paid callback.
    function settleAgreed(uint256 requestId, bytes calldata output, address[] calldata payees) external {
        (Record storage r, Terms storage t) = _agreedPending(requestId);
        _close(r, Status.Fulfilled);
        // The node share goes to the NodeRegistry, credited beside each payee's served counter.
        nodes.recordServedBy{value: _payFees(r, t)}(payees);
        // Escrow and times cleared; the input hash stays (`inputHashOf` names the question answered).
        assembly {
            sstore(add(r.slot, 1), 0)
        }
        emit Fulfilled(requestId, payees[0], output);
        _deliver(requestId, r, output);
    }

    /// @inheritdoc IAgreedSettlement
    /// @dev Requirements: the caller is the committee; the request is pending and in agreed mode.
    function refundAgreed(uint256 requestId) external {
        (Record storage r,) = _agreedPending(requestId);
        _refund(requestId, r);
    }

    /// @dev Ends a pending request: its escrow leaves `totalEscrow` (the caller credits all of it).
    function _close(Record storage r, Status status) private {
        r.status = status;
        totalEscrow -= r.escrow;
    }

    function _refund(uint256 requestId, Record storage r) private {
        _close(r, Status.Refunded);
        _owe(r.requester, r.escrow);
        emit Refunded(requestId, r.requester, r.escrow);
    }

    /// @dev Credits the model owner and the treasury their fees; returns what is left for the nodes.
    function _payFees(Record storage r, Terms storage t) private returns (uint256 nodeShare) {
        _owe(t.modelOwner, t.modelFee);
        _owe(treasury, t.protocolFee);
        return r.escrow - t.modelFee - t.protocolFee;
    }

    function _agreedPending(uint256 requestId) private view returns (Record storage r, Terms storage t) {
        if (msg.sender != committee) revert NotCommittee(msg.sender);
        r = records[requestId];
        t = terms[r.terms];
        if (r.status != Status.Pending) revert RequestNotPending(requestId, r.status);
        if (t.mode != IModelRegistry.Mode.Agreed) revert UnsupportedMode(t.modelId, t.mode);
    }

    /// @dev Calls the requester back with the paid gas (after the 63/64 rule) and records the outcome.
    function _deliver(uint256 requestId, Record storage r, bytes memory output) private {
        uint256 limit = r.callbackGasLimit;
        // The callee gets at most 63/64 of what is left: make sure that is at least `limit`.
        uint256 needed = (limit * 64) / 63 + CALLBACK_RESERVE;
        if (gasleft() < needed) revert InsufficientCallbackGas(requestId, gasleft(), needed);
        bool success = _callback(r.requester, limit, abi.encodeCall(IVerityConsumer.onVerityResult, (requestId, output)));
        emit CallbackCompleted(requestId, success);
    }

    /// @inheritdoc ICoprocessor
    /// @dev Nobody is slashed: a requester must not profit from a request nobody served (its
    /// model may be unservable on purpose). Requirements: the request is pending, proved, and
    /// its deadline has passed. Anyone may call.
    function refund(uint256 requestId) external {
        (Record storage r, Terms storage t) = _provedPending(requestId);
        uint64 deadline = _deadline(r, t);
        if (block.timestamp <= deadline) revert RequestNotExpired(requestId, deadline);
        _refund(requestId, r);
    }

    /// @dev Slashes the primary up to `missSlash` for missing its window; the stake taken goes
    /// to the treasury.
    function _slashMissed(uint256 requestId, address primary) private {
        uint256 taken = nodes.slash(primary, missSlash, "missed request");
        nodes.recordMissed(primary);
        _owe(treasury, taken);
        if (taken > 0) emit MissSlashed(requestId, primary, taken);
    }

    /// @notice A request as stored: its record's 4 words, then its terms' 5 (`getRequest` decodes them).
    function requestWords(uint256 requestId) external view returns (uint256[9] memory w) {
        Record storage r = records[requestId];
        Terms storage t = terms[r.terms];
        assembly {
            for { let i := 0 } lt(i, 4) { i := add(i, 1) } { mstore(add(w, mul(i, 32)), sload(add(r.slot, i))) }
            for { let i := 0 } lt(i, 5) { i := add(i, 1) } { mstore(add(w, mul(add(i, 4), 32)), sload(add(t.slot, i))) }
        }
    }

    /// @dev Forwards the views of `views` (read-only: a staticcall), so callers find them here.
    fallback() external {
        address v = address(views);
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := staticcall(gas(), v, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @inheritdoc ICoprocessor
    function refundedEscrow(uint256 requestId) external view returns (bool refunded, uint256 escrow) {
        Record storage r = records[requestId];
        return (r.status == Status.Refunded, r.escrow);
    }

    /// @notice The public signal that ties a proof to one request and one prover.
    function requestBinding(uint256 requestId, address prover) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), requestId, prover))) >> 4;
    }

    /// @notice Poseidon(8) chain over the input packed big-endian into 31-byte field elements
    /// (`31 / width` values each): h = Poseidon(h, 7 elements), starting from `seed` (the
    /// model's weights commitment, 0 when its weights are in the verifying key).
    function inputCommitment(bytes calldata input, uint8 width, uint256 seed) public view returns (uint256) {
        return poseidon.commit(input, width, seed);
    }

    /// @notice Number of packed output words a model's proof exposes.
    function outputWordCount(IModelRegistry.IOSpec memory io) private pure returns (uint256) {
        uint256 perWord = 248 / io.outputBits;
        return (uint256(io.outputCount) + perWord - 1) / perWord;
    }

    /// @dev A proof's public signals: the output words, the request's input commitment, and the
    /// binding to (requestId, msg.sender).
    function _publicSignals(uint256 requestId, Record storage r, uint256[] calldata outputWords)
        private
        view
        returns (uint256[] memory signals)
    {
        uint256 n = outputWords.length + 2;
        signals = new uint256[](n);
        for (uint256 i = 0; i < outputWords.length; i++) {
            signals[i] = outputWords[i];
        }
        signals[n - 2] = r.inputCommitment;
        signals[n - 1] = requestBinding(requestId, msg.sender);
    }

    function _verify(address verifier, uint256[8] calldata proof, uint256[] memory signals) private view returns (bool) {
        // snarkjs verifiers take fixed-size arrays: verifyProof(uint[2],uint[2][2],uint[2],uint[n]).
        bytes4 selector = bytes4(
            keccak256(
                abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(signals.length), "])")
            )
        );
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodePacked(selector, proof, signals));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    /// @dev `n` in decimal (n < 1000: a verifier's public signal count).
    function _decimal(uint256 n) private pure returns (bytes memory d) {
        d = n < 10 ? new bytes(1) : n < 100 ? new bytes(2) : new bytes(3);
        for (uint256 i = d.length; i > 0; i--) {
            d[i - 1] = bytes1(uint8(48 + n % 10));
            n /= 10;
        }
    }

    /// @dev False (never a revert) when the verifier rejects the batch or has no `verifyBatch`
    /// (a version exported before batch verifiers).
    function _verifyBatch(address verifier, uint256[8][] calldata proofs, uint256[][] memory signals)
        private
        view
        returns (bool)
    {
        (bool ok, bytes memory ret) =
            verifier.staticcall(abi.encodeCall(IGroth16BatchVerifier.verifyBatch, (proofs, signals)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    /// @dev Calls without copying return data, so a callback cannot grief with a huge return.
    function _callback(address target, uint256 gasLimit, bytes memory data) private returns (bool success) {
        if (target.code.length == 0) return true;
        assembly {
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }
}
