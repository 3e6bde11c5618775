// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICoprocessor} from "./interfaces/ICoprocessor.sol";
import {IVerityConsumer} from "./interfaces/IVerityConsumer.sol";

/// @title VerityConsumer
/// @notice Base for contracts that ask Verity: keeps the Coprocessor, checks the callback's
/// sender, and encodes fixed-point model inputs the way the compiler quantises them.
abstract contract VerityConsumer is IVerityConsumer {
    ICoprocessor public immutable coprocessor;

    error OnlyCoprocessor(address caller);
    error UnknownRequest(uint256 requestId);

    constructor(ICoprocessor coprocessor_) {
        coprocessor = coprocessor_;
    }

    /// @inheritdoc IVerityConsumer
    function onVerityResult(uint256 requestId, bytes calldata output) external {
        if (msg.sender != address(coprocessor)) revert OnlyCoprocessor(msg.sender);
        _onResult(requestId, output);
    }

    /// @dev The answer to `requestId`: `abi.encode(int256[])` at the model's output scale for
    /// proved models, the agreed bytes (a label's UTF-8 text, or `abi.encode(int256)`) otherwise.
    function _onResult(uint256 requestId, bytes calldata output) internal virtual;

    /// @dev Sends a request with all of `fee` (the Coprocessor escrows it).
    function _ask(bytes32 modelId, bytes memory input, uint32 callbackGas, uint256 fee) internal returns (uint256) {
        return coprocessor.request{value: fee}(modelId, input, callbackGas);
    }

    /// @dev A proved model's output scale (outputs are integers times 2^-scale).
    function _outputScale(bytes32 modelId) internal view returns (uint8) {
        return coprocessor.registry().getModel(modelId).io.outputScale;
    }

    /// @dev One 8-bit model input for the value `num / den`, as `quantizeInput` encodes it:
    /// `round(num / den * 2^scale)` clipped to [-128, 127], plus 128. Rounds half up like Math.round.
    function _inputByte(int256 num, uint256 den, uint8 scale) internal pure returns (bytes1) {
        int256 twice = (num * int256(2) ** scale * 2) + int256(den);
        int256 d = int256(den) * 2;
        int256 q = twice / d;
        if (twice % d != 0 && twice < 0) q -= 1; // floor division
        if (q < -128) q = -128;
        if (q > 127) q = 127;
        return bytes1(uint8(uint256(q + 128)));
    }

    /// @dev True when an agreed-mode answer is the label `label`.
    function _isLabel(bytes calldata output, string memory label) internal pure returns (bool) {
        return keccak256(output) == keccak256(bytes(label));
    }
}
