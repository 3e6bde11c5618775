// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./IModelRegistry.sol";
import {IPullPayments} from "./IPullPayments.sol";

/// @notice The part of the Coprocessor a consumer contract calls (see Coprocessor.sol).
interface ICoprocessor is IPullPayments {
    /// @notice The fee `request` needs for `modelId` with a callback of `callbackGasLimit` gas.
    function quote(bytes32 modelId, uint32 callbackGasLimit) external view returns (uint256);

    /// @notice Asks `modelId` (its effective version) about `input`; the answer arrives in
    /// `onVerityResult` on `msg.sender`.
    function request(bytes32 modelId, bytes calldata input, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);

    /// @notice As `request`, but only if `version` is the model's effective version: a consumer
    /// that trusts one version (one verifier) is never answered by another.
    function requestVersion(bytes32 modelId, uint32 version, bytes calldata input, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);

    /// @notice Returns the escrow of a request nobody served by its deadline to its requester's balance.
    function refund(uint256 requestId) external;

    /// @notice Whether a request was refunded (nobody answered it in time, or the committee
    /// reached no answer), and the wei it escrowed: what a consumer needs to recover it.
    function refundedEscrow(uint256 requestId) external view returns (bool refunded, uint256 escrow);

    function registry() external view returns (IModelRegistry);
}
