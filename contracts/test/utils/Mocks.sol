// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerityConsumer} from "../../src/interfaces/IVerityConsumer.sol";
import {ICoprocessor} from "../../src/interfaces/ICoprocessor.sol";
import {VerityConsumer} from "../../src/VerityConsumer.sol";

/// @dev Answers any verifyProof(...) selector with a configurable verdict and records the last call.
contract MockVerifier {
    bool public accept = true;
    bytes public lastCall;

    function setAccept(bool a) external {
        accept = a;
    }

    fallback(bytes calldata data) external returns (bytes memory) {
        // staticcall: cannot write; the Coprocessor only staticcalls verifiers.
        data;
        return abi.encode(accept);
    }
}

/// @dev Records what it was called back with and how much gas it got.
contract RecordingConsumer is IVerityConsumer {
    uint256 public lastRequestId;
    int256[] public lastValues;
    uint256 public gasAtEntry;
    uint256 public calls;

    function onVerityResult(uint256 requestId, bytes calldata output) external {
        gasAtEntry = gasleft();
        lastRequestId = requestId;
        lastValues = abi.decode(output, (int256[]));
        calls++;
    }

    function valueCount() external view returns (uint256) {
        return lastValues.length;
    }
}

/// @dev A callback that always reverts.
contract RevertingConsumer is IVerityConsumer {
    function onVerityResult(uint256, bytes calldata) external pure {
        revert("consumer broke");
    }
}

/// @dev A callback that burns every unit of gas it gets.
contract GasBurningConsumer is IVerityConsumer {
    function onVerityResult(uint256, bytes calldata) external view {
        while (gasleft() > 0) {}
    }
}

/// @dev A consumer that trusts one version of one model (VerityConsumer._askVersion).
contract PinnedConsumer is VerityConsumer {
    bytes32 public immutable modelId;
    uint32 public immutable version;
    uint256 public answers;

    constructor(ICoprocessor c, bytes32 m, uint32 v) VerityConsumer(c) {
        modelId = m;
        version = v;
    }

    function ask(bytes calldata input, uint32 callbackGas) external payable returns (uint256) {
        return _askVersion(modelId, version, input, callbackGas, msg.value);
    }

    function _onResult(uint256, bytes calldata) internal override {
        answers++;
    }
}
