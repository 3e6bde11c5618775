// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Coprocessor} from "./Coprocessor.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {OutputCodec} from "./OutputCodec.sol";

/// @title CoprocessorViews
/// @notice The Coprocessor's read-only views that do not fit in its code (24,576 bytes): the
/// Coprocessor deploys this contract and forwards every call it does not know here (a
/// staticcall from its fallback), so callers keep calling the Coprocessor: `getRequest`,
/// `primaryOf`, `inputHashOf`, `decodeOutputs`, `parameters`. It reads the Coprocessor's
/// storage through `Coprocessor.requestWords` (a request's record and terms as stored) and
/// its public getters.
contract CoprocessorViews {
    Coprocessor public immutable coprocessor;
    INodeRegistry public immutable nodes;

    constructor(Coprocessor coprocessor_, INodeRegistry nodes_) {
        coprocessor = coprocessor_;
        nodes = nodes_;
    }

    /// @notice A request: its record and its terms (zeros for an unknown id). Once answered, a
    /// request keeps its requester, status, terms and primary: its escrow, deadline, window,
    /// draw block and (proved) input commitment read 0 (cleared for the gas refund; the
    /// `Requested` event has them). An agreed request keeps its input hash.
    function getRequest(uint256 requestId) public view returns (Coprocessor.Request memory q) {
        uint256[9] memory w = coprocessor.requestWords(requestId);
        // Record: requester, status, assigned, callbackGasLimit, terms | escrow, requestedAt, drawBlock | inputCommitment | primary, assignedAt.
        (q.requester, q.status, q.callbackGasLimit) = (address(uint160(w[0])), Coprocessor.Status(uint8(w[0] >> 160)), uint32(w[0] >> 176));
        (q.escrow, q.drawBlock, q.inputCommitment) = (uint96(w[1]), uint64(w[1] >> 160), w[2]);
        (q.primary, q.assignedAt) = (address(uint160(w[3])), uint64(w[3] >> 160));
        // Terms: modelId | modelOwner, version, mode | verifier, assignmentWindow | io | modelFee, protocolFee, requestTimeout.
        (q.modelId, q.modelOwner, q.version, q.mode) = (bytes32(w[4]), address(uint160(w[5])), uint32(w[5] >> 160), IModelRegistry.Mode(uint8(w[5] >> 192)));
        q.verifier = address(uint160(w[6]));
        q.io = IModelRegistry.IOSpec(uint32(w[7]), uint8(w[7] >> 32), uint16(w[7] >> 40), uint8(w[7] >> 56), uint8(w[7] >> 64));
        (q.modelFee, q.protocolFee) = (uint96(w[8]), uint96(w[8] >> 96));
        uint64 requestedAt = uint64(w[1] >> 96);
        // Unknown, or answered (its times cleared: the `Requested` event has its deadline).
        if (requestedAt == 0) return q;
        uint64 timeout = uint64(w[8] >> 192);
        q.deadline = timeout == 0 ? type(uint64).max : requestedAt + timeout;
        if (q.mode == IModelRegistry.Mode.Proved) q.exclusiveUntil = requestedAt + uint64(w[6] >> 160);
    }

    /// @notice The request's primary: the one assigned, else the one the draw gives now (0 in
    /// the request's own block, once the draw block's hash is gone, or when nobody serves the model).
    function primaryOf(uint256 requestId) external view returns (address) {
        Coprocessor.Request memory q = getRequest(requestId);
        if (q.assignedAt != 0) return q.primary;
        if (q.status == Coprocessor.Status.None || q.mode != IModelRegistry.Mode.Proved) return address(0);
        bytes32 h = blockhash(q.drawBlock);
        return h == 0 ? address(0) : nodes.selectAt(q.modelId, OutputCodec.drawSeed(h, requestId), q.drawBlock);
    }

    /// @notice keccak256 of an agreed-mode request's input (0 for proved requests, which store
    /// a Poseidon commitment instead): validators answer only an input that matches it.
    function inputHashOf(uint256 requestId) external view returns (bytes32) {
        Coprocessor.Request memory q = getRequest(requestId);
        return q.mode == IModelRegistry.Mode.Agreed ? bytes32(q.inputCommitment) : bytes32(0);
    }

    /// @notice The Coprocessor's current parameters.
    function parameters() external view returns (Coprocessor.Parameters memory) {
        Coprocessor c = coprocessor;
        return Coprocessor.Parameters(
            c.nodeFee(), c.protocolFee(), c.treasury(), c.callbackGasPrice(), c.requestTimeout(), c.maxCallbackGasLimit(), c.assignmentWindow(), c.missSlash()
        );
    }

    /// @notice Unpacks offset-encoded outputs into signed fixed-point values at `io.outputScale`.
    function decodeOutputs(IModelRegistry.IOSpec memory io, uint256[] calldata words) external pure returns (int256[] memory) {
        return OutputCodec.unpack(io, words, 0);
    }
}
