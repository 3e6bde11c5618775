// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What a contract that pays by pull payments owes, and how to collect it.
interface IPullPayments {
    /// @notice What the contract owes `account` (refunds, fees, rewards): paid out by `withdraw`.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Wei owed to accounts: the sum of every `balanceOf`.
    function totalOwed() external view returns (uint256);

    /// @notice Pays out the caller's balance.
    function withdraw() external;
}
