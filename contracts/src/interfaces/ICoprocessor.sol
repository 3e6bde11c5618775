// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./IModelRegistry.sol";

/// @notice The part of the Coprocessor a consumer contract calls (see Coprocessor.sol).
interface ICoprocessor {
    /// @notice The fee `request` needs for `modelId` with a callback of `callbackGasLimit` gas.
    function quote(bytes32 modelId, uint32 callbackGasLimit) external view returns (uint256);

    /// @notice Asks `modelId` about `input`; the answer arrives in `onVerityResult` on `msg.sender`.
    function request(bytes32 modelId, bytes calldata input, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);

    function registry() external view returns (IModelRegistry);

    /// @notice What the Coprocessor owes `account` (refunds, fees): paid out by `withdraw`.
    function balanceOf(address account) external view returns (uint256);

    function withdraw() external;
}
