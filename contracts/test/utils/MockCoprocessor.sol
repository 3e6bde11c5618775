// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "../../src/interfaces/IModelRegistry.sol";
import {IVerityConsumer} from "../../src/interfaces/IVerityConsumer.sol";
import {Coprocessor} from "../../src/Coprocessor.sol";

/// @dev Stands in for the Coprocessor in the example apps' unit tests: records each request and
/// lets the test deliver any answer. (The e2e demo runs the apps against the real one.)
contract MockCoprocessor {
    struct Call {
        address requester;
        bytes32 modelId;
        bytes input;
        uint256 value;
        uint32 callbackGas;
    }

    uint256 public constant FEE = 0.001 ether;
    uint8 public outputScale = 12;
    Call[] public calls;
    mapping(uint256 => Coprocessor.Status) public statusOf;
    mapping(address => uint256) public balanceOf;
    MockRegistry public immutable registryImpl = new MockRegistry(this);

    error InsufficientFee(uint256 required, uint256 paid);

    function registry() external view returns (IModelRegistry) {
        return IModelRegistry(address(registryImpl));
    }

    function setOutputScale(uint8 s) external {
        outputScale = s;
    }

    function quote(bytes32, uint32) external pure returns (uint256) {
        return FEE;
    }

    function request(bytes32 modelId, bytes calldata input, uint32 callbackGas) external payable returns (uint256) {
        if (msg.value < FEE) revert InsufficientFee(FEE, msg.value);
        calls.push(Call(msg.sender, modelId, input, msg.value, callbackGas));
        statusOf[calls.length] = Coprocessor.Status.Pending;
        return calls.length;
    }

    function refundedEscrow(uint256 id) external view returns (bool refunded, uint256 escrow) {
        return (statusOf[id] == Coprocessor.Status.Refunded, calls[id - 1].value);
    }

    function getRequest(uint256 id) external view returns (Coprocessor.Request memory r) {
        r.requester = calls[id - 1].requester;
        r.status = statusOf[id];
        r.escrow = calls[id - 1].value;
    }

    /// @dev As Coprocessor.refund after the deadline: the escrow is owed to the requester.
    function refundRequest(uint256 id) external {
        statusOf[id] = Coprocessor.Status.Refunded;
        balanceOf[calls[id - 1].requester] += calls[id - 1].value;
    }

    function withdraw() external {
        uint256 amount = balanceOf[msg.sender];
        balanceOf[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok, "withdraw failed");
    }

    function inputOf(uint256 id) external view returns (bytes memory) {
        return calls[id - 1].input;
    }

    function deliver(uint256 id, bytes memory output) public {
        statusOf[id] = Coprocessor.Status.Fulfilled;
        IVerityConsumer(calls[id - 1].requester).onVerityResult(id, output);
    }

    function deliverValues(uint256 id, int256[] memory values) external {
        deliver(id, abi.encode(values));
    }

    function deliverOne(uint256 id, int256 value) external {
        int256[] memory v = new int256[](1);
        v[0] = value;
        deliver(id, abi.encode(v));
    }
}

contract MockRegistry {
    MockCoprocessor private immutable c;

    constructor(MockCoprocessor c_) {
        c = c_;
    }

    function getModel(bytes32) external view returns (IModelRegistry.Model memory m) {
        m.io.outputScale = c.outputScale();
    }
}
