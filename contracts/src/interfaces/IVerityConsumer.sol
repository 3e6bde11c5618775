// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Implemented by contracts that receive Verity answers.
interface IVerityConsumer {
    /// @notice Called by the Coprocessor once a request is fulfilled, with the gas the requester paid for.
    /// @param requestId the id `Coprocessor.request` returned
    /// @param output for proved models `abi.encode(int256[] values)`, fixed point at the model's `outputScale`
    function onVerityResult(uint256 requestId, bytes calldata output) external;
}
