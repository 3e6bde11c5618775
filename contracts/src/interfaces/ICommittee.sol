// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the Coprocessor needs from the agreed-mode committee.
interface ICommittee {
    /// @notice Starts the committee's work on an agreed-mode request the Coprocessor just
    /// escrowed. Nothing is drawn in this (the requester's) transaction: the committee is drawn
    /// by `draw` from a later block's hash.
    function open(uint256 requestId, bytes32 modelId, address requester) external;
}
