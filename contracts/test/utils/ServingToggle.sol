// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {NodeRegistry} from "../../src/NodeRegistry.sol";

/// @dev For invariant handlers: an operator opts in to the model, or out of it when it serves one;
/// and a ghost record of which operators could serve it at the end of each block the handler
/// acted in, since draws read the servers of their draw block (not of the block they run in).
abstract contract ServingToggle is TestBase {
    mapping(uint256 => mapping(address => bool)) private servingAt;
    uint256[] private recordedBlocks;

    /// @dev Records who can serve `modelId` now; the handler calls it after every action, so the
    /// last record of a block is that block's end.
    function _recordServing(NodeRegistry nodes, bytes32 modelId, address[] storage ops) internal {
        if (recordedBlocks.length == 0 || recordedBlocks[recordedBlocks.length - 1] != block.number) recordedBlocks.push(block.number);
        for (uint256 i = 0; i < ops.length; i++) servingAt[block.number][ops[i]] = nodes.canServe(ops[i], modelId);
    }

    /// @dev Whether `op` could serve the model at the end of block `b` (the last record at or before it).
    function _couldServeAt(uint256 b, address op) internal view returns (bool) {
        for (uint256 i = recordedBlocks.length; i > 0; i--) {
            if (recordedBlocks[i - 1] <= b) return servingAt[recordedBlocks[i - 1]][op];
        }
        return false;
    }

    function _toggleServing(NodeRegistry nodes, address op, bytes32 modelId) internal {
        vm.prank(op);
        if (nodes.servedModels(op).length == 0) {
            try nodes.serveModel(modelId) {} catch {}
        } else {
            try nodes.stopServing(modelId) {} catch {}
        }
    }
}
