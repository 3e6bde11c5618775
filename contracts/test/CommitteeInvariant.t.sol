// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {CommitteeFixture, AnswerConsumer} from "./Committee.t.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {Committee} from "../src/Committee.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

/// @dev Drives agreed-mode requests through random proposals (right, wrong or missing), commits
/// and reveals (any vote, or none), appeals, deadline advances, time jumps and withdrawals, and
/// keeps a ghost ledger of every wei paid into and out of the Coprocessor, Committee and
/// NodeRegistry.
contract CommitteeHandler is TestBase {
    Coprocessor internal immutable cp;
    Committee internal immutable committee;
    NodeRegistry internal immutable nodes;
    bytes32 internal immutable modelId;
    address internal immutable consumer;
    address[] public payees;
    uint256[] public ids;
    uint256 public ghostIn;
    uint256 public ghostOut;

    constructor(Coprocessor cp_, Committee committee_, NodeRegistry nodes_, bytes32 modelId_, address consumer_, address[] memory everyone) {
        cp = cp_;
        committee = committee_;
        nodes = nodes_;
        modelId = modelId_;
        consumer = consumer_;
        payees = everyone;
    }

    function payeeCount() external view returns (uint256) {
        return payees.length;
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    /// @dev At most 3 requests per run, so each one sees enough calls to reach its end.
    function request(uint256 extra) external {
        if (ids.length >= 3) return;
        uint256 value = cp.quote(modelId, 100_000) + bound(extra, 0, 0.01 ether);
        vm.deal(consumer, value);
        vm.prank(consumer);
        try cp.request{value: value}(modelId, bytes("Did the critics love it?"), 100_000) returns (uint256 id) {
            ids.push(id);
            ghostIn += value;
        } catch {}
    }

    function _pick(uint256 seed) internal view returns (uint256 id, Committee.Task memory t, Committee.Round memory r) {
        id = ids[bound(seed, 0, ids.length - 1)];
        t = committee.getTask(id);
        r = committee.getRound(id, t.round);
    }

    function propose(uint256 idSeed, bool loved) external {
        if (ids.length == 0) return;
        (uint256 id,, Committee.Round memory r) = _pick(idSeed);
        vm.prank(r.members[0]);
        try committee.propose(id, bytes(loved ? "loved" : "not loved")) {} catch {}
    }

    function commit(uint256 idSeed, uint256 seatSeed, bool agree) external {
        if (ids.length == 0) return;
        (uint256 id, Committee.Task memory t, Committee.Round memory r) = _pick(idSeed);
        // The first seat from the seed on that has not committed (seat 0 of a proposal round is
        // tried too, and refused).
        uint256 n = r.members.length;
        uint256 seat = bound(seatSeed, 0, n - 1);
        for (uint256 k = 0; k < n; k++) {
            (bytes32 sealedVote,) = committee.getBallot(id, t.round, (seat + k) % n);
            if (sealedVote == 0) {
                seat = (seat + k) % n;
                break;
            }
        }
        address m = r.members[seat];
        bytes32 c = committee.commitmentOf(id, t.round, m, agree ? Committee.Vote.Agree : Committee.Vote.Disagree, keccak256(abi.encode(m, id)));
        vm.prank(m);
        try committee.commit(id, seat, c) {} catch {}
    }

    function reveal(uint256 idSeed, uint256 seatSeed) external {
        if (ids.length == 0) return;
        (uint256 id, Committee.Task memory t, Committee.Round memory r) = _pick(idSeed);
        // The first seat from the seed on with a sealed vote to open.
        uint256 n = r.members.length;
        uint256 seat = bound(seatSeed, 0, n - 1);
        bytes32 sealedVote;
        for (uint256 k = 0; k < n; k++) {
            (sealedVote,) = committee.getBallot(id, t.round, (seat + k) % n);
            if (sealedVote != 0) {
                seat = (seat + k) % n;
                break;
            }
        }
        address m = r.members[seat];
        bytes32 s = keccak256(abi.encode(m, id));
        Committee.Vote v = sealedVote == committee.commitmentOf(id, t.round, m, Committee.Vote.Agree, s) ? Committee.Vote.Agree : Committee.Vote.Disagree;
        vm.prank(m);
        try committee.reveal(id, seat, v, s) {} catch {}
    }

    function appeal(uint256 idSeed, uint256 appellantSeed) external {
        if (ids.length == 0) return;
        (uint256 id,,) = _pick(idSeed);
        address who = payees[bound(appellantSeed, 0, payees.length - 1)];
        uint256 bond = committee.appealBondFor(id);
        vm.deal(who, bond);
        vm.prank(who);
        try committee.appeal{value: bond}(id) {
            ghostIn += bond;
        } catch {}
    }

    function advance(uint256 idSeed) external {
        if (ids.length == 0) return;
        (uint256 id,,) = _pick(idSeed);
        try committee.advance(id) {} catch {}
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 0, 120));
    }

    function withdraw(uint256 payeeSeed, bool fromCommittee) external {
        address who = payees[bound(payeeSeed, 0, payees.length - 1)];
        uint256 owed = fromCommittee ? committee.balanceOf(who) : cp.balanceOf(who);
        vm.prank(who);
        if (fromCommittee) {
            try committee.withdraw() {
                ghostOut += owed;
            } catch {}
        } else {
            try cp.withdraw() {
                ghostOut += owed;
            } catch {}
        }
    }
}

contract CommitteeInvariantTest is CommitteeFixture {
    CommitteeHandler internal handler;
    uint256 internal stakes;

    function setUp() public override {
        super.setUp();
        // Small committees and short windows, so random runs reach the ends of requests
        // (finalised, appealed, refunded) within their depth.
        uint8[] memory appeals = new uint8[](2);
        (appeals[0], appeals[1]) = (5, 7);
        committee.setParameters(3, appeals, 3, [uint64(60), 60, 60, 60], 0.01 ether, 0.05 ether, 0.1 ether);
        address[] memory everyone = new address[](OPERATORS + 3);
        for (uint256 i = 0; i < OPERATORS; i++) everyone[i] = operators[i];
        everyone[OPERATORS] = modelOwner;
        everyone[OPERATORS + 1] = address(consumer);
        everyone[OPERATORS + 2] = address(this); // the treasury
        handler = new CommitteeHandler(coprocessor, committee, nodes, modelId, address(consumer), everyone);
        stakes = address(nodes).balance;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// forge-config: default.invariant.depth = 150
    /// Every wei paid in (stakes, fees, bonds) is staked, held for an open request, owed, or paid out.
    function invariant_weiIsConservedAcrossContracts() public view {
        assertEq(
            stakes + handler.ghostIn() - handler.ghostOut(),
            address(nodes).balance + address(coprocessor).balance + address(committee).balance,
            "ghost ledger"
        );
    }

    /// forge-config: default.invariant.depth = 150
    function invariant_committeeHoldsWhatItOwes() public view {
        assertEq(address(committee).balance, committee.totalHeld() + committee.totalOwed(), "committee: held + owed");
        uint256 sum;
        for (uint256 i = 0; i < handler.payeeCount(); i++) sum += committee.balanceOf(handler.payees(i));
        assertEq(committee.totalOwed(), sum, "committee: owed = sum of balances");
    }

    /// forge-config: default.invariant.depth = 150
    function invariant_coprocessorHoldsWhatItOwes() public view {
        assertEq(address(coprocessor).balance, coprocessor.totalEscrow() + coprocessor.totalOwed(), "coprocessor: escrow + owed");
    }

    /// A closed request holds nothing in the Committee: its pot and bonds were shared or refunded.
    /// forge-config: default.invariant.depth = 150
    function invariant_closedRequestsHoldNothing() public view {
        for (uint256 i = 0; i < handler.idCount(); i++) {
            Committee.Task memory t = committee.getTask(handler.ids(i));
            if (t.phase == Committee.Phase.Finalized || t.phase == Committee.Phase.Refunded) assertEq(t.pot, 0, "pot shared");
        }
    }
}

