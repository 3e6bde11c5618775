// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {CoprocessorFixture} from "./Coprocessor.t.sol";
import {MockVerifier} from "./utils/Mocks.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

/// @dev Drives the Coprocessor through random requests, fulfilments (valid or not), refunds,
/// withdrawals and time jumps, and keeps a ghost ledger of every wei in and out.
contract EscrowHandler is TestBase {
    Coprocessor internal immutable cp;
    MockVerifier internal immutable verifier;
    bytes32 internal immutable modelId;
    address[] public actors;
    uint256[] public ids;
    uint256 public ghostIn;
    uint256 public ghostOut;

    NodeRegistry internal immutable nodes;
    /// @dev stake slashed into the Coprocessor (credited to requesters)
    uint256 public ghostSlashed;

    constructor(Coprocessor cp_, MockVerifier verifier_, bytes32 modelId_, address modelOwner, NodeRegistry nodes_) {
        cp = cp_;
        verifier = verifier_;
        modelId = modelId_;
        nodes = nodes_;
        actors.push(modelOwner);
        for (uint160 i = 1; i <= 4; i++) actors.push(address(0x1000 + i));
        // Two of the actors are staked nodes; the others try to fulfil too (and must fail).
        for (uint256 i = 1; i <= 2; i++) {
            vm.deal(actors[i], 5 ether);
            vm.prank(actors[i]);
            nodes.register{value: 5 ether}("node", "");
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function request(uint256 actorSeed, uint256 extra, uint32 gasSeed) external {
        address who = actors[bound(actorSeed, 1, actors.length - 1)];
        uint32 cbGas = uint32(bound(gasSeed, 0, 500_000));
        uint256 value = cp.quote(modelId, cbGas) + bound(extra, 0, 1 ether);
        vm.deal(who, value);
        vm.prank(who);
        ids.push(cp.request{value: value}(modelId, hex"01020304", cbGas));
        ghostIn += value;
    }

    function fulfill(uint256 idSeed, uint256 nodeSeed, bool valid) external {
        if (ids.length == 0) return;
        uint256 id = ids[bound(idSeed, 0, ids.length - 1)];
        verifier.setAccept(valid);
        uint256[] memory words = new uint256[](1);
        address primary = cp.getRequest(id).primary;
        uint256 before = nodes.getOperator(primary).slashed;
        vm.prank(actors[bound(nodeSeed, 1, actors.length - 1)]);
        try cp.fulfill(id, words, [uint256(0), 0, 0, 0, 0, 0, 0, 0]) {
            // a backup serving after the window slashes the primary into the Coprocessor
            uint256 taken = nodes.getOperator(primary).slashed - before;
            ghostSlashed += taken;
            ghostIn += taken;
        } catch {}
    }

    function refund(uint256 idSeed) external {
        if (ids.length == 0) return;
        uint256 id = ids[bound(idSeed, 0, ids.length - 1)];
        address primary = cp.getRequest(id).primary;
        uint256 before = nodes.getOperator(primary).slashed;
        try cp.refund(id) {
            uint256 taken = nodes.getOperator(primary).slashed - before;
            ghostSlashed += taken;
            ghostIn += taken;
        } catch {}
    }

    function withdraw(uint256 actorSeed) external {
        address who = actors[bound(actorSeed, 0, actors.length - 1)];
        uint256 owed = cp.balanceOf(who);
        vm.prank(who);
        try cp.withdraw() {
            ghostOut += owed;
        } catch {}
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 0, 2 hours));
    }

    function pendingEscrow() external view returns (uint256 sum) {
        for (uint256 i = 0; i < ids.length; i++) {
            Coprocessor.Request memory r = cp.getRequest(ids[i]);
            if (r.status == Coprocessor.Status.Pending) sum += r.escrow;
        }
    }
}

contract EscrowInvariantTest is CoprocessorFixture {
    EscrowHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new EscrowHandler(coprocessor, verifier, modelId, modelOwner, nodes);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Every wei paid in is held for an open request, owed to someone, or paid out.
    function invariant_escrowIsConserved() public view {
        assertEq(handler.ghostIn() - handler.ghostOut(), address(coprocessor).balance, "ghost ledger");
        assertEq(address(coprocessor).balance, coprocessor.totalEscrow() + coprocessor.totalOwed(), "held = escrow + owed");
    }

    function invariant_escrowEqualsPendingRequests() public view {
        assertEq(coprocessor.totalEscrow(), handler.pendingEscrow(), "escrow = sum of pending requests");
    }

    function invariant_owedEqualsBalances() public view {
        uint256 sum;
        for (uint256 i = 0; i < handler.actorCount(); i++) sum += coprocessor.balanceOf(handler.actors(i));
        assertEq(coprocessor.totalOwed(), sum, "owed = sum of balances");
    }
}
