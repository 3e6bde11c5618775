// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICoprocessor} from "./interfaces/ICoprocessor.sol";
import {IVerityConsumer} from "./interfaces/IVerityConsumer.sol";

/// @title VerityConsumer
/// @notice Base for contracts that ask Verity: keeps the Coprocessor, checks the callback's
/// sender, encodes fixed-point model inputs the way the compiler quantises them, and lets a
/// request that ended without an answer be recovered (the app's state freed, the fee returned).
abstract contract VerityConsumer is IVerityConsumer {
    ICoprocessor public immutable coprocessor;
    /// @notice Who paid each request still open (cleared when the answer or the refund comes).
    mapping(uint256 => address) public payerOf;

    error OnlyCoprocessor(address caller);
    error UnknownRequest(uint256 requestId);
    error NotRefunded(uint256 requestId);
    error TransferFailed(address to, uint256 amount);

    event RequestRecovered(uint256 indexed requestId, address indexed payer, uint256 amount);

    constructor(ICoprocessor coprocessor_) {
        coprocessor = coprocessor_;
    }

    /// @inheritdoc IVerityConsumer
    function onVerityResult(uint256 requestId, bytes calldata output) external {
        if (msg.sender != address(coprocessor)) revert OnlyCoprocessor(msg.sender);
        delete payerOf[requestId];
        _onResult(requestId, output);
    }

    /// @notice For a request the Coprocessor refunded (nobody proved it before its deadline, or
    /// the committee reached no answer): frees what the app held for it and sends its fee back to
    /// whoever paid it. Anyone may call it.
    function recoverRefunded(uint256 requestId) external {
        address payer = payerOf[requestId];
        if (payer == address(0)) revert UnknownRequest(requestId);
        (bool refunded, uint256 escrow) = coprocessor.refundedEscrow(requestId);
        if (!refunded) revert NotRefunded(requestId);
        delete payerOf[requestId];
        if (coprocessor.balanceOf(address(this)) > 0) coprocessor.withdraw();
        _onRefunded(requestId);
        emit RequestRecovered(requestId, payer, escrow);
        _pay(payer, escrow);
    }

    /// @notice Takes refunds from the Coprocessor (and whatever else the app accepts).
    receive() external payable virtual {}

    /// @dev The answer to `requestId`: `abi.encode(int256[])` at the model's output scale for
    /// proved models, the agreed bytes (a label's UTF-8 text, or `abi.encode(int256)`) otherwise.
    function _onResult(uint256 requestId, bytes calldata output) internal virtual;

    /// @dev Sends `amount` wei to `to`, reverting with TransferFailed if it refuses them.
    function _pay(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @dev What the app releases when `requestId` was refunded (a pending flag, a mapping entry).
    function _onRefunded(uint256 requestId) internal virtual {}

    /// @dev Sends a request with all of `fee` (the Coprocessor escrows it), paid by `msg.sender`.
    function _ask(bytes32 modelId, bytes memory input, uint32 callbackGas, uint256 fee) internal returns (uint256 requestId) {
        requestId = coprocessor.request{value: fee}(modelId, input, callbackGas);
        payerOf[requestId] = msg.sender;
    }

    /// @dev As `_ask`, but only `version` of the model may answer: once its owner's update takes
    /// effect the Coprocessor refuses the request (`ModelVersionMismatch`) instead of sending it to
    /// a verifier the app never reviewed.
    function _askVersion(bytes32 modelId, uint32 version, bytes memory input, uint32 callbackGas, uint256 fee)
        internal
        returns (uint256 requestId)
    {
        requestId = coprocessor.requestVersion{value: fee}(modelId, version, input, callbackGas);
        payerOf[requestId] = msg.sender;
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
