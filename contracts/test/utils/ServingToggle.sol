// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {NodeRegistry} from "../../src/NodeRegistry.sol";

/// @dev For invariant handlers: an operator opts in to the model, or out of it when it serves one.
abstract contract ServingToggle is TestBase {
    function _toggleServing(NodeRegistry nodes, address op, bytes32 modelId) internal {
        vm.prank(op);
        if (nodes.servedModels(op).length == 0) {
            try nodes.serveModel(modelId) {} catch {}
        } else {
            try nodes.stopServing(modelId) {} catch {}
        }
    }
}
