// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the agreed-mode committee needs from the Coprocessor: the model of a request,
/// settlement, and where forfeited stake goes.
interface IAgreedSettlement {
    /// @notice Settles an agreed-mode request with the committee's final answer, paying the node
    /// share to `payees`. Requirements: the caller is the committee.
    function settleAgreed(uint256 requestId, bytes calldata output, address[] calldata payees) external;

    /// @notice Refunds an agreed-mode request the committee could not answer. Requirements: the caller is the committee.
    function refundAgreed(uint256 requestId) external;

    /// @notice The model a request asked for.
    function modelOf(uint256 requestId) external view returns (bytes32);

    /// @notice Where protocol fees and slashes nobody else may claim go.
    function treasury() external view returns (address);
}
