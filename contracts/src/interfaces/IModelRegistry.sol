// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

interface IModelRegistry {
    enum Mode {
        Proved,
        Agreed
    }

    /// @notice What stops a node from answering a proved model with other weights.
    enum WeightsPinning {
        /// nothing: the weights are free private inputs (`--weights signals`); refused for proved models
        None,
        /// the weights are circuit constants, so the verifying key pins them (`weightsCommitment == 0`)
        VerifyingKey,
        /// the weights are private, pinned by their Poseidon commitment (`weightsCommitment != 0`)
        Commitment
    }

    /// @notice Who made the proving key: a single party (insecure: it could forge proofs) or a ceremony.
    enum SetupKind {
        Dev,
        Ceremony
    }

    /// @notice How a proved model's values cross the chain boundary (see packages/zkml/src/codegen/layout.ts).
    /// @dev inputs: `inputCount` unsigned values of `inputWidth` bytes, packed big-endian `31 / inputWidth`
    /// to a field element; outputs: `outputCount` offset-encoded values of `outputBits` bits,
    /// `248 / outputBits` to a public signal, first value in the lowest bits.
    struct IOSpec {
        uint32 inputCount;
        uint8 inputWidth;
        uint16 outputCount;
        uint8 outputBits;
        uint8 outputScale;
    }

    /// @notice One version of a model: what a request made while it is effective is checked against.
    struct VersionSpec {
        address verifier;
        bytes32 commitment;
        /// @dev For models compiled with `--weights committed`: the Poseidon commitment to the
        /// secret weights, which seeds every request's input commitment; 0 when the weights are
        /// in the verifying key.
        uint256 weightsCommitment;
        IOSpec io;
        WeightsPinning pinning;
        SetupKind setup;
    }

    /// @notice A model as a request sees it: its owner and fee, and its effective version.
    struct Model {
        address owner;
        Mode mode;
        /// @dev the effective version (1 at registration)
        uint32 version;
        address verifier;
        bytes32 commitment;
        /// @dev See VersionSpec.weightsCommitment.
        uint256 weightsCommitment;
        uint256 fee;
        IOSpec io;
        string name;
        WeightsPinning pinning;
        SetupKind setup;
    }

    /// @notice What a request needs of a model (`getModel` without the name, the commitment and
    /// the weights' pinning and setup: fewer slots read on every request).
    struct RequestSpec {
        address owner;
        Mode mode;
        uint32 version;
        address verifier;
        uint256 weightsCommitment;
        uint256 fee;
        IOSpec io;
    }

    error UnknownModel(bytes32 modelId);
    error UnknownVersion(bytes32 modelId, uint32 version);
    error ModelAlreadyRegistered(bytes32 modelId);
    error NotModelOwner(bytes32 modelId, address caller);
    error MissingVerifier(bytes32 modelId);
    error InvalidIOSpec(bytes32 modelId);
    error InvalidWeightsCommitment(bytes32 modelId, uint256 weightsCommitment);
    /// @notice A proved model whose weights nothing pins (anyone could answer with other weights).
    error WeightsNotPinned(bytes32 modelId);
    /// @notice The pinning disagrees with the weights commitment (or is set on an agreed model).
    error InvalidWeightsPinning(bytes32 modelId, WeightsPinning pinning, uint256 weightsCommitment);
    error InvalidUpgradeDelay(uint64 delay);

    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed owner,
        string name,
        Mode mode,
        address verifier,
        bytes32 commitment,
        uint256 fee,
        WeightsPinning pinning,
        SetupKind setup
    );
    /// @notice `version` (the same number when it replaces a still-pending update) takes effect at `activeFrom`.
    event ModelUpdateScheduled(bytes32 indexed modelId, uint32 version, address verifier, bytes32 commitment, uint64 activeFrom);
    event ModelFeeChanged(bytes32 indexed modelId, uint256 fee);

    /// @notice Seconds between an update and the time it takes effect (for every model).
    function upgradeDelay() external view returns (uint64);

    /// @notice The model with its effective version. Requirements: the model exists.
    function getModel(bytes32 modelId) external view returns (Model memory);

    /// @notice The effective version's part of `getModel` a request needs (an agreed-mode
    /// model's proof fields zero: its requests use none of them).
    function requestSpec(bytes32 modelId) external view returns (RequestSpec memory);

    /// @notice One version of a model, effective or not (its time in `activeFrom`).
    function getVersion(bytes32 modelId, uint32 version) external view returns (VersionSpec memory spec, uint64 activeFrom);

    /// @notice The update that is scheduled but not effective yet, or (0, 0).
    function pendingUpdate(bytes32 modelId) external view returns (uint32 version, uint64 activeFrom);
}
