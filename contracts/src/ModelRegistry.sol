// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IRequestBatchRegistry} from "./interfaces/IRequestBatchRegistry.sol";

/// @title ModelRegistry
/// @notice Model id -> owner, mode, fee and versions (verifier, model commitment, weights pinning,
/// setup kind, IO spec). Model owners are paid `fee` per fulfilled inference by the Coprocessor.
/// @dev A model owner cannot swap what answers mean under its consumers' feet: an update takes
/// effect only `upgradeDelay` seconds after it is scheduled (`pendingUpdate` shows it meanwhile),
/// every version keeps its number, and requests can pin the version they trust
/// (`Coprocessor.requestVersion`). A proved model must pin its weights (in the verifying key or
/// by a commitment), so a node cannot answer with weights of its choosing.
contract ModelRegistry is IModelRegistry, IRequestBatchRegistry {
    /// @dev BN254 scalar field: a weights commitment is one of its elements.
    uint256 internal constant FIELD = 21888242871839275222246405745257298275088548364400416034343698204186575808495;
    /// @notice Longest `upgradeDelay` a registry can be deployed with.
    uint64 public constant MAX_UPGRADE_DELAY = 30 days;

    /// @inheritdoc IModelRegistry
    uint64 public immutable upgradeDelay;

    /// @dev Packed in one slot with the owner: the latest version and when it takes effect.
    struct Entry {
        address owner;
        Mode mode;
        uint32 latest;
        uint40 latestFrom;
        uint256 fee;
        string name;
    }

    struct StoredVersion {
        VersionSpec spec;
        uint64 activeFrom;
    }

    mapping(bytes32 => Entry) private entries;
    mapping(bytes32 => mapping(uint32 => StoredVersion)) private versions;
    mapping(bytes32 => mapping(uint32 => RequestBatch)) private requestBatches;

    /// @notice Most slots a request-batch circuit may have (the Coprocessor's loop and the
    /// verifier's public signals stay bounded).
    uint16 public constant MAX_REQUEST_BATCH = 64;

    /// @param upgradeDelay_ seconds between `updateModel` and the new version taking effect
    /// Requirements: `upgradeDelay_ <= MAX_UPGRADE_DELAY`.
    constructor(uint64 upgradeDelay_) {
        if (upgradeDelay_ > MAX_UPGRADE_DELAY) revert InvalidUpgradeDelay(upgradeDelay_);
        upgradeDelay = upgradeDelay_;
    }

    /// @notice The id a model gets: one name per owner.
    function modelIdOf(address owner, string calldata name) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, name));
    }

    /// @notice Registers a model owned by the caller; `spec` is version 1, effective at once.
    /// Requirements:
    /// - `(msg.sender, name)` is not registered yet;
    /// - a proved model has a verifier contract and a non-empty IO spec whose packing fits the field;
    /// - a proved model pins its weights: `VerifyingKey` with `weightsCommitment == 0`, or
    ///   `Commitment` with a non-zero `weightsCommitment`; an agreed model has pinning `None`;
    /// - `weightsCommitment` is a field element.
    function registerModel(string calldata name, Mode mode, VersionSpec calldata spec, uint256 fee)
        external
        returns (bytes32 modelId)
    {
        modelId = modelIdOf(msg.sender, name);
        Entry storage e = entries[modelId];
        if (e.owner != address(0)) revert ModelAlreadyRegistered(modelId);
        _checkSpec(modelId, mode, spec);
        e.owner = msg.sender;
        e.mode = mode;
        e.latest = 1;
        e.latestFrom = uint40(block.timestamp);
        e.fee = fee;
        e.name = name;
        versions[modelId][1] = StoredVersion(spec, uint64(block.timestamp));
        emit ModelRegistered(modelId, msg.sender, name, mode, spec.verifier, spec.commitment, fee, spec.pinning, spec.setup);
    }

    /// @notice Schedules a new version of a model (new weights mean a new verifier), effective
    /// `upgradeDelay` seconds from now. An update still pending is replaced (it keeps its number,
    /// and the delay starts again). Requests made before it takes effect keep their version.
    /// Requirements: the caller owns the model; the spec is valid as in `registerModel`.
    function updateModel(bytes32 modelId, VersionSpec calldata spec) external {
        Entry storage e = _owned(modelId);
        _checkSpec(modelId, e.mode, spec);
        uint32 version = e.latestFrom > block.timestamp ? e.latest : e.latest + 1;
        uint64 activeFrom = uint64(block.timestamp) + upgradeDelay;
        e.latest = version;
        e.latestFrom = uint40(activeFrom);
        versions[modelId][version] = StoredVersion(spec, activeFrom);
        emit ModelUpdateScheduled(modelId, version, spec.verifier, spec.commitment, activeFrom);
    }

    /// @notice Sets the per-inference fee paid to the model owner.
    /// Requirements: the caller owns the model.
    function setFee(bytes32 modelId, uint256 fee) external {
        _owned(modelId).fee = fee;
        emit ModelFeeChanged(modelId, fee);
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (Model memory m) {
        (Entry storage e, uint32 version, VersionSpec storage s) = _current(modelId);
        m = Model({
            owner: e.owner,
            mode: e.mode,
            version: version,
            verifier: s.verifier,
            commitment: s.commitment,
            weightsCommitment: s.weightsCommitment,
            fee: e.fee,
            io: s.io,
            name: e.name,
            pinning: s.pinning,
            setup: s.setup
        });
    }

    /// @inheritdoc IModelRegistry
    /// @dev An agreed-mode model's proof fields (`verifier`, `weightsCommitment`, `io`) are
    /// returned zero, unread: an agreed request uses none of them (3 slots fewer a request).
    /// Requirements: the model exists.
    function requestSpec(bytes32 modelId) external view returns (RequestSpec memory m) {
        (Entry storage e, uint32 version, VersionSpec storage s) = _current(modelId);
        (m.owner, m.mode, m.version, m.fee) = (e.owner, e.mode, version, e.fee);
        if (m.mode == Mode.Agreed) return m;
        (m.verifier, m.weightsCommitment, m.io) = (s.verifier, s.weightsCommitment, s.io);
    }

    /// @dev A model's entry, its effective version and that version's spec (`getModel`, `requestSpec`).
    function _current(bytes32 modelId) private view returns (Entry storage e, uint32 version, VersionSpec storage s) {
        e = _entry(modelId);
        version = _effective(e);
        s = versions[modelId][version].spec;
    }

    /// @inheritdoc IModelRegistry
    /// @dev Requirements: the model exists and `1 <= version <= ` its latest (pending) version.
    function getVersion(bytes32 modelId, uint32 version) external view returns (VersionSpec memory spec, uint64 activeFrom) {
        Entry storage e = _entry(modelId);
        if (version == 0 || version > e.latest) revert UnknownVersion(modelId, version);
        StoredVersion storage v = versions[modelId][version];
        return (v.spec, v.activeFrom);
    }

    /// @inheritdoc IModelRegistry
    /// @dev Requirements: the model exists.
    function pendingUpdate(bytes32 modelId) external view returns (uint32 version, uint64 activeFrom) {
        Entry storage e = _entry(modelId);
        if (e.latestFrom > block.timestamp) return (e.latest, e.latestFrom);
    }

    /// @inheritdoc IRequestBatchRegistry
    /// @dev Set once per version: a request made while it was set is never answered through
    /// another batch verifier (an owner who needs another one schedules a new version).
    /// Requirements:
    /// - the caller owns the model; it is a proved model and `version` exists (pending or not);
    /// - the version has no request-batch verifier yet (`RequestBatchVerifierAlreadySet`);
    /// - `verifier` has code and `2 <= k <= MAX_REQUEST_BATCH` (`InvalidRequestBatch`).
    function setRequestBatchVerifier(bytes32 modelId, uint32 version, address verifier, uint16 k) external {
        Entry storage e = _owned(modelId);
        if (version == 0 || version > e.latest) revert UnknownVersion(modelId, version);
        RequestBatch storage b = requestBatches[modelId][version];
        if (b.verifier != address(0)) revert RequestBatchVerifierAlreadySet(modelId, version, b.verifier);
        if (e.mode != Mode.Proved || verifier.code.length == 0 || k < 2 || k > MAX_REQUEST_BATCH) {
            revert InvalidRequestBatch(modelId, version, verifier, k);
        }
        requestBatches[modelId][version] = RequestBatch(verifier, k, uint64(block.number));
        emit RequestBatchVerifierSet(modelId, version, verifier, k);
    }

    /// @inheritdoc IRequestBatchRegistry
    function requestBatchOf(bytes32 modelId, uint32 version) external view returns (RequestBatch memory) {
        return requestBatches[modelId][version];
    }

    /// @dev The latest version once its time has come, else the one before (at most one is pending).
    function _effective(Entry storage e) private view returns (uint32) {
        return e.latestFrom > block.timestamp ? e.latest - 1 : e.latest;
    }

    function _entry(bytes32 modelId) private view returns (Entry storage e) {
        e = entries[modelId];
        if (e.owner == address(0)) revert UnknownModel(modelId);
    }

    function _owned(bytes32 modelId) private view returns (Entry storage e) {
        e = _entry(modelId);
        if (e.owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _checkSpec(bytes32 modelId, Mode mode, VersionSpec calldata spec) private view {
        uint256 weights = spec.weightsCommitment;
        if (weights >= FIELD) revert InvalidWeightsCommitment(modelId, weights);
        if (mode != Mode.Proved) {
            if (spec.pinning != WeightsPinning.None) revert InvalidWeightsPinning(modelId, spec.pinning, weights);
            return;
        }
        if (spec.pinning == WeightsPinning.None) revert WeightsNotPinned(modelId);
        if ((spec.pinning == WeightsPinning.Commitment) != (weights != 0)) {
            revert InvalidWeightsPinning(modelId, spec.pinning, weights);
        }
        if (spec.verifier.code.length == 0) revert MissingVerifier(modelId);
        IOSpec calldata io = spec.io;
        if (
            io.inputCount == 0 || io.outputCount == 0 || io.inputWidth == 0 || io.inputWidth > 31 || io.outputBits < 2
                || io.outputBits > 248
        ) revert InvalidIOSpec(modelId);
    }
}
