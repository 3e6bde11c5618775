// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Model id -> owner, mode, verifier, model commitment, fee, version. Model owners are
/// paid `fee` per fulfilled inference by the Coprocessor.
contract ModelRegistry is IModelRegistry {
    /// @dev BN254 scalar field: a weights commitment is one of its elements.
    uint256 internal constant FIELD = 21888242871839275222246405745257298275088548364400416034343698204186575808495;
    mapping(bytes32 => Model) private models;

    /// @notice The id a model gets: one name per owner.
    function modelIdOf(address owner, string calldata name) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, name));
    }

    /// @notice Registers a model owned by the caller.
    /// Requirements:
    /// - `(msg.sender, name)` is not registered yet;
    /// - a proved model has a verifier contract and a non-empty IO spec whose packing fits the field;
    /// - `weightsCommitment` (0 unless the model keeps its weights secret) is a field element.
    function registerModel(
        string calldata name,
        Mode mode,
        address verifier,
        bytes32 commitment,
        uint256 weightsCommitment,
        IOSpec calldata io,
        uint256 fee
    ) external returns (bytes32 modelId) {
        modelId = modelIdOf(msg.sender, name);
        if (models[modelId].owner != address(0)) revert ModelAlreadyRegistered(modelId);
        _checkSpec(modelId, mode, verifier, io, weightsCommitment);
        models[modelId] = Model({
            owner: msg.sender,
            mode: mode,
            version: 1,
            verifier: verifier,
            commitment: commitment,
            weightsCommitment: weightsCommitment,
            fee: fee,
            io: io,
            name: name
        });
        emit ModelRegistered(modelId, msg.sender, name, mode, verifier, commitment, fee);
    }

    /// @notice Publishes a new version of a model (new weights mean a new verifier). Pending
    /// requests keep the verifier they were made against.
    /// Requirements: the caller owns the model; the spec is valid as in `registerModel`.
    function updateModel(bytes32 modelId, address verifier, bytes32 commitment, uint256 weightsCommitment, IOSpec calldata io)
        external
    {
        Model storage m = _owned(modelId);
        _checkSpec(modelId, m.mode, verifier, io, weightsCommitment);
        m.verifier = verifier;
        m.commitment = commitment;
        m.weightsCommitment = weightsCommitment;
        m.io = io;
        m.version += 1;
        emit ModelUpdated(modelId, m.version, verifier, commitment);
    }

    /// @notice Sets the per-inference fee paid to the model owner.
    /// Requirements: the caller owns the model.
    function setFee(bytes32 modelId, uint256 fee) external {
        _owned(modelId).fee = fee;
        emit ModelFeeChanged(modelId, fee);
    }

    /// @notice Reads a model. Requirements: the model exists.
    function getModel(bytes32 modelId) external view returns (Model memory) {
        Model memory m = models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        return m;
    }

    function _owned(bytes32 modelId) private view returns (Model storage m) {
        m = models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        if (m.owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _checkSpec(bytes32 modelId, Mode mode, address verifier, IOSpec calldata io, uint256 weightsCommitment)
        private
        view
    {
        if (weightsCommitment >= FIELD) revert InvalidWeightsCommitment(modelId, weightsCommitment);
        if (mode != Mode.Proved) return;
        if (verifier.code.length == 0) revert MissingVerifier(modelId);
        if (
            io.inputCount == 0 || io.outputCount == 0 || io.inputWidth == 0 || io.inputWidth > 31 || io.outputBits < 2
                || io.outputBits > 248
        ) revert InvalidIOSpec(modelId);
    }
}
