// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CoprocessorViews} from "../src/CoprocessorViews.sol";
import {ServingToggle} from "./utils/ServingToggle.sol";
import {CoprocessorFixture} from "./Coprocessor.t.sol";
import {MockVerifier} from "./utils/Mocks.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

/// @dev Drives the Coprocessor through random requests, assignments, fulfilments (valid or not,
/// by serving nodes, a staked node that serves other models only, and outsiders), refunds,
/// withdrawals, opt-ins and opt-outs, block and time jumps, and keeps a ghost ledger of every
/// wei in and out. Requesters are never nodes, so what they are credited is exactly refunds.
contract EscrowHandler is ServingToggle {
    Coprocessor internal immutable cp;
    MockVerifier internal immutable verifier;
    bytes32 internal immutable modelId;
    NodeRegistry internal immutable nodes;
    address internal immutable treasury;
    address[] public actors;
    address[] public requesters;
    address[] public operators;
    uint256[] public ids;
    uint256 public ghostIn;
    uint256 public ghostOut;
    /// @dev stake slashed into the Coprocessor (credited to the treasury)
    uint256 public ghostSlashed;
    /// @dev per account: escrow of its refunded requests, and what it withdrew
    mapping(address => uint256) public ghostRefunded;
    mapping(address => uint256) public ghostWithdrawn;
    /// @dev primaries drawn, and how many of them could not serve the model at the end of their draw block
    uint256 public draws;
    uint256 public drawsOfNonServers;

    constructor(Coprocessor cp_, MockVerifier verifier_, bytes32 modelId_, address modelOwner, NodeRegistry nodes_, address node) {
        cp = cp_;
        verifier = verifier_;
        modelId = modelId_;
        nodes = nodes_;
        treasury = cp_.treasury();
        actors.push(modelOwner);
        actors.push(treasury);
        actors.push(node);
        operators.push(node);
        for (uint160 i = 1; i <= 3; i++) {
            address op = address(0x1000 + i);
            actors.push(op);
            operators.push(op);
            vm.deal(op, 5 ether);
            vm.prank(op);
            nodes.register{value: 5 ether}("node", "");
            // The third is staked but serves other models only (until it opts in).
            if (i < 3) {
                vm.prank(op);
                nodes.serveModel(modelId_);
            }
        }
        for (uint160 i = 1; i <= 2; i++) {
            address r = address(0x2000 + i);
            actors.push(r);
            requesters.push(r);
        }
        actors.push(address(0xBAD)); // an outsider trying to fulfil
        _recordServing(nodes, modelId, operators);
    }

    modifier recorded() {
        _;
        _recordServing(nodes, modelId, operators);
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function requesterCount() external view returns (uint256) {
        return requesters.length;
    }

    function request(uint256 requesterSeed, uint256 extra, uint32 gasSeed) external recorded {
        address who = requesters[bound(requesterSeed, 0, requesters.length - 1)];
        uint32 cbGas = uint32(bound(gasSeed, 0, 500_000));
        uint256 value = cp.quote(modelId, cbGas) + bound(extra, 0, 1 ether);
        vm.deal(who, value);
        vm.prank(who);
        try cp.request{value: value}(modelId, hex"01020304", cbGas) returns (uint256 id) {
            ids.push(id);
            ghostIn += value;
        } catch {}
    }

    /// @dev The primary the draw gives now, if the call about to run fixes it (not assigned yet).
    function _checkDraw(uint256 id) internal returns (address primary) {
        if (CoprocessorViews(address(cp)).getRequest(id).assignedAt != 0) return address(0);
        primary = CoprocessorViews(address(cp)).primaryOf(id);
        if (primary == address(0)) return address(0);
        draws++;
        if (!_couldServeAt(CoprocessorViews(address(cp)).getRequest(id).drawBlock, primary)) drawsOfNonServers++;
    }

    function assign(uint256 idSeed) external recorded {
        if (ids.length == 0) return;
        uint256 id = ids[bound(idSeed, 0, ids.length - 1)];
        _checkDraw(id);
        try cp.assign(id) {} catch {}
    }

    function fulfill(uint256 idSeed, uint256 actorSeed, bool valid) external recorded {
        if (ids.length == 0) return;
        uint256 id = ids[bound(idSeed, 0, ids.length - 1)];
        verifier.setAccept(valid);
        uint256[] memory words = new uint256[](1);
        _checkDraw(id);
        uint256 before = address(cp).balance;
        vm.prank(actors[bound(actorSeed, 0, actors.length - 1)]);
        try cp.fulfill(id, words, [uint256(0), 0, 0, 0, 0, 0, 0, 0]) {
            // a backup serving after the window of a primary assigned in time slashes it into the Coprocessor
            uint256 taken = address(cp).balance - before;
            ghostSlashed += taken;
            ghostIn += taken;
        } catch {}
    }

    function refund(uint256 idSeed) external recorded {
        if (ids.length == 0) return;
        uint256 id = ids[bound(idSeed, 0, ids.length - 1)];
        Coprocessor.Request memory r = CoprocessorViews(address(cp)).getRequest(id);
        try cp.refund(id) {
            ghostRefunded[r.requester] += r.escrow;
        } catch {}
    }

    function withdraw(uint256 actorSeed) external recorded {
        address who = actors[bound(actorSeed, 0, actors.length - 1)];
        uint256 owed = cp.balanceOf(who);
        vm.prank(who);
        try cp.withdraw() {
            ghostOut += owed;
            ghostWithdrawn[who] += owed;
        } catch {}
    }

    /// @dev An operator opts in to or out of the model.
    function toggleServing(uint256 operatorSeed) external recorded {
        _toggleServing(nodes, operators[bound(operatorSeed, 0, operators.length - 1)], modelId);
    }

    function warp(uint256 secondsSeed) external recorded {
        vm.warp(block.timestamp + bound(secondsSeed, 0, 2 hours));
    }

    /// @dev Up to 300 blocks: draws become possible, or their block hash is gone.
    function roll(uint256 blocksSeed) external recorded {
        vm.roll(block.number + bound(blocksSeed, 1, 300));
    }

    function pendingEscrow() external view returns (uint256 sum) {
        for (uint256 i = 0; i < ids.length; i++) {
            Coprocessor.Request memory r = CoprocessorViews(address(cp)).getRequest(ids[i]);
            if (r.status == Coprocessor.Status.Pending) sum += r.escrow;
        }
    }
}

contract EscrowInvariantTest is CoprocessorFixture {
    EscrowHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new EscrowHandler(coprocessor, verifier, modelId, modelOwner, nodes, node);
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

    /// A requester is credited its refunded escrow and nothing else: no slash ever reaches it.
    function invariant_noSlashIsEverCreditedToARequester() public view {
        for (uint256 i = 0; i < handler.requesterCount(); i++) {
            address r = handler.requesters(i);
            assertEq(coprocessor.balanceOf(r) + handler.ghostWithdrawn(r), handler.ghostRefunded(r), "requester: refunds only");
        }
    }

    /// Every miss slash goes to the treasury (the protocol fee is 0 here).
    function invariant_slashesGoToTheTreasury() public view {
        assertEq(coprocessor.balanceOf(TREASURY) + handler.ghostWithdrawn(TREASURY), handler.ghostSlashed(), "treasury: the slashes");
    }

    /// A primary is only ever drawn among operators that served the model at the end of its draw block.
    function invariant_primariesAreDrawnOnlyFromServingOperators() public view {
        assertEq(handler.drawsOfNonServers(), 0, "a non-serving operator was drawn");
    }
}
