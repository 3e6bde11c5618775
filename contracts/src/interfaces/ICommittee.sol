// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the Coprocessor needs from the agreed-mode committee.
interface ICommittee {
    /// @notice Draws a committee for an agreed-mode request the Coprocessor just escrowed.
    function open(uint256 requestId, address requester) external;
}
