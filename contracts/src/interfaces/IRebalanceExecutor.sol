// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Executes a vault's new allocation (a DEX route, a lending market...): SignalVault's
/// optional executor.
interface IRebalanceExecutor {
    /// @notice Moves the vault to `riskBps` in the risk asset, following the proved `signal`.
    function rebalance(uint256 riskBps, int256 signal) external;
}
