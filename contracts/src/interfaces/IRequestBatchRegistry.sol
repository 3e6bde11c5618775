// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A model version's request-batch verifier: one Groth16 proof of up to `k` different
/// requests (`verity compile --requests K`, checked by `Coprocessor.fulfillRequests`).
interface IRequestBatchRegistry {
    /// @param verifier the batch circuit's generated verifier
    /// @param k the batch circuit's slots
    /// @param sinceBlock the block it was set in: only requests made after it may be batched, so
    /// a request is never answered through a verifier its requester could not see
    struct RequestBatch {
        address verifier;
        uint16 k;
        uint64 sinceBlock;
    }

    event RequestBatchVerifierSet(bytes32 indexed modelId, uint32 indexed version, address verifier, uint16 k);

    error RequestBatchVerifierAlreadySet(bytes32 modelId, uint32 version, address verifier);
    error InvalidRequestBatch(bytes32 modelId, uint32 version, address verifier, uint16 k);

    /// @notice Sets the request-batch verifier of one version of a proved model, once.
    function setRequestBatchVerifier(bytes32 modelId, uint32 version, address verifier, uint16 k) external;

    /// @notice The version's request-batch verifier, or zeros when it has none.
    function requestBatchOf(bytes32 modelId, uint32 version) external view returns (RequestBatch memory);
}
