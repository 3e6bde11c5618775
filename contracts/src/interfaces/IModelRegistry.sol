// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

interface IModelRegistry {
    enum Mode {
        Proved,
        Agreed
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

    struct Model {
        address owner;
        Mode mode;
        uint32 version;
        address verifier;
        bytes32 commitment;
        /// @dev For models compiled with `--weights committed`: the Poseidon commitment to the
        /// secret weights, which seeds every request's input commitment; 0 when the weights are
        /// in the verifying key.
        uint256 weightsCommitment;
        uint256 fee;
        IOSpec io;
        string name;
    }

    error UnknownModel(bytes32 modelId);
    error ModelAlreadyRegistered(bytes32 modelId);
    error NotModelOwner(bytes32 modelId, address caller);
    error MissingVerifier(bytes32 modelId);
    error InvalidIOSpec(bytes32 modelId);
    error InvalidWeightsCommitment(bytes32 modelId, uint256 weightsCommitment);

    event ModelRegistered(
        bytes32 indexed modelId, address indexed owner, string name, Mode mode, address verifier, bytes32 commitment, uint256 fee
    );
    event ModelUpdated(bytes32 indexed modelId, uint32 version, address verifier, bytes32 commitment);
    event ModelFeeChanged(bytes32 indexed modelId, uint256 fee);

    function getModel(bytes32 modelId) external view returns (Model memory);
}
