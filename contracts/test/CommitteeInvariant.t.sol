// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CoprocessorViews} from "../src/CoprocessorViews.sol";
import {ServingToggle} from "./utils/ServingToggle.sol";
import {CommitteeFixture, AnswerConsumer} from "./Committee.t.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {Committee} from "../src/Committee.sol";
import {CommitteeBase} from "../src/CommitteeBase.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

/// @dev Drives agreed-mode requests through random draws, proposals (right, wrong or missing),
/// commits and reveals (any vote, or none), appeals, deadline advances, opt-ins and opt-outs,
/// block and time jumps and withdrawals, and keeps a ghost ledger of every wei paid into and out
/// of the Coprocessor, Committee and NodeRegistry. The requester and the appellants are not
/// operators, so what they are credited is exactly refunds and returned bonds.
contract CommitteeHandler is ServingToggle {
    Coprocessor internal immutable cp;
    Committee internal immutable committee;
    NodeRegistry internal immutable nodes;
    bytes32 internal immutable modelId;
    address internal immutable consumer;
    address[] public payees;
    address[] public operators;
    address[] public appellants;
    uint256[] public ids;
    uint256 public ghostIn;
    uint256 public ghostOut;
    /// @dev per account: what it withdrew from the Coprocessor, from the Committee, and paid as bonds
    mapping(address => uint256) public ghostWithdrawnFromCoprocessor;
    mapping(address => uint256) public ghostWithdrawnFromCommittee;
    mapping(address => uint256) public ghostBonds;
    /// @dev members drawn, and how many could not serve the model at the end of their draw block
    uint256 public drawn;
    uint256 public drawnNonServers;

    constructor(
        Coprocessor cp_,
        Committee committee_,
        NodeRegistry nodes_,
        bytes32 modelId_,
        address consumer_,
        address[] memory everyone,
        address[] memory operators_,
        address[] memory appellants_
    ) {
        cp = cp_;
        committee = committee_;
        nodes = nodes_;
        modelId = modelId_;
        consumer = consumer_;
        payees = everyone;
        operators = operators_;
        appellants = appellants_;
        _recordServing(nodes, modelId, operators);
    }

    modifier recorded() {
        _;
        _recordServing(nodes, modelId, operators);
    }

    function appellantCount() external view returns (uint256) {
        return appellants.length;
    }

    function payeeCount() external view returns (uint256) {
        return payees.length;
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    /// @dev At most 3 requests per run, so each one sees enough calls to reach its end.
    function request(uint256 extra) external recorded {
        if (ids.length >= 3) return;
        uint256 value = cp.quote(modelId, 100_000) + bound(extra, 0, 0.01 ether);
        vm.deal(consumer, value);
        vm.prank(consumer);
        try cp.request{value: value}(modelId, bytes("Did the critics love it?"), 100_000) returns (uint256 id) {
            ids.push(id);
            ghostIn += value;
        } catch {}
    }

    function _pick(uint256 seed) internal view returns (uint256 id, CommitteeBase.Task memory t, CommitteeBase.Round memory r) {
        id = ids[bound(seed, 0, ids.length - 1)];
        t = committee.getTask(id);
        r = committee.getRound(id, t.round);
    }

    function draw(uint256 idSeed) external recorded {
        if (ids.length == 0) return;
        (uint256 id, CommitteeBase.Task memory t,) = _pick(idSeed);
        try committee.draw(id) {
            CommitteeBase.Task memory after_ = committee.getTask(id);
            if (after_.phase == CommitteeBase.Phase.Drawing || after_.phase == CommitteeBase.Phase.Refunded) return;
            if (t.started && after_.round == t.round) return; // an appeal dropped: nothing drawn
            address[] memory m = committee.getRound(id, after_.round).members;
            for (uint256 i = 0; i < m.length; i++) {
                drawn++;
                if (!_couldServeAt(t.drawBlock, m[i])) drawnNonServers++;
            }
        } catch {}
    }

    /// @dev Moves one request through its current phase at once (everybody votes `agree`), so
    /// runs reach accepted answers, appeals and finality within their depth.
    function playPhase(uint256 idSeed, bool agree) external recorded {
        if (ids.length == 0) return;
        (uint256 id, CommitteeBase.Task memory t, CommitteeBase.Round memory r) = _pick(idSeed);
        if (t.phase == CommitteeBase.Phase.Drawing) {
            vm.roll(block.number + 1);
            this.draw(idSeed);
        } else if (t.phase == CommitteeBase.Phase.Propose) {
            vm.prank(r.members[0]);
            try committee.propose(id, bytes(agree ? "loved" : "not loved")) {} catch {}
        } else if (t.phase == CommitteeBase.Phase.Commit || t.phase == CommitteeBase.Phase.Reveal) {
            for (uint256 seat = r.appeal ? 0 : 1; seat < r.members.length; seat++) {
                address m = r.members[seat];
                bytes32 s = keccak256(abi.encode(m, id));
                CommitteeBase.Vote v = agree ? CommitteeBase.Vote.Agree : CommitteeBase.Vote.Disagree;
                if (t.phase == CommitteeBase.Phase.Commit) {
                    bytes32 c = committee.commitmentOf(id, t.round, m, v, s);
                    vm.prank(m);
                    try committee.commit(id, seat, c) {} catch {}
                } else {
                    (bytes32 sealedVote,) = committee.getBallot(id, t.round, seat);
                    if (sealedVote != committee.commitmentOf(id, t.round, m, v, s)) v = agree ? CommitteeBase.Vote.Disagree : CommitteeBase.Vote.Agree;
                    vm.prank(m);
                    try committee.reveal(id, seat, v, s) {} catch {}
                }
            }
        }
    }

    function propose(uint256 idSeed, bool loved) external recorded {
        if (ids.length == 0) return;
        (uint256 id,, CommitteeBase.Round memory r) = _pick(idSeed);
        if (r.members.length == 0) return;
        vm.prank(r.members[0]);
        try committee.propose(id, bytes(loved ? "loved" : "not loved")) {} catch {}
    }

    function commit(uint256 idSeed, uint256 seatSeed, bool agree) external recorded {
        if (ids.length == 0) return;
        (uint256 id, CommitteeBase.Task memory t, CommitteeBase.Round memory r) = _pick(idSeed);
        // The first seat from the seed on that has not committed (seat 0 of a proposal round is
        // tried too, and refused).
        uint256 n = r.members.length;
        if (n == 0) return;
        uint256 seat = bound(seatSeed, 0, n - 1);
        for (uint256 k = 0; k < n; k++) {
            (bytes32 sealedVote,) = committee.getBallot(id, t.round, (seat + k) % n);
            if (sealedVote == 0) {
                seat = (seat + k) % n;
                break;
            }
        }
        address m = r.members[seat];
        bytes32 c = committee.commitmentOf(id, t.round, m, agree ? CommitteeBase.Vote.Agree : CommitteeBase.Vote.Disagree, keccak256(abi.encode(m, id)));
        vm.prank(m);
        try committee.commit(id, seat, c) {} catch {}
    }

    function reveal(uint256 idSeed, uint256 seatSeed) external recorded {
        if (ids.length == 0) return;
        (uint256 id, CommitteeBase.Task memory t, CommitteeBase.Round memory r) = _pick(idSeed);
        // The first seat from the seed on with a sealed vote to open.
        uint256 n = r.members.length;
        if (n == 0) return;
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
        CommitteeBase.Vote v = sealedVote == committee.commitmentOf(id, t.round, m, CommitteeBase.Vote.Agree, s) ? CommitteeBase.Vote.Agree : CommitteeBase.Vote.Disagree;
        vm.prank(m);
        try committee.reveal(id, seat, v, s) {} catch {}
    }

    function appeal(uint256 idSeed, uint256 appellantSeed) external recorded {
        if (ids.length == 0) return;
        (uint256 id,,) = _pick(idSeed);
        address who = appellants[bound(appellantSeed, 0, appellants.length - 1)];
        uint256 bond = committee.appealBondFor(id);
        vm.deal(who, bond);
        vm.prank(who);
        try committee.appeal{value: bond}(id) {
            ghostIn += bond;
            ghostBonds[who] += bond;
        } catch {}
    }

    function advance(uint256 idSeed) external recorded {
        if (ids.length == 0) return;
        (uint256 id,,) = _pick(idSeed);
        try committee.advance(id) {} catch {}
    }

    function warp(uint256 secondsSeed) external recorded {
        vm.warp(block.timestamp + bound(secondsSeed, 0, 120));
    }

    /// @dev Mostly one block (draws become possible); sometimes 300 (their block hash is gone).
    function roll(uint256 blocksSeed) external recorded {
        vm.roll(block.number + (blocksSeed % 8 == 0 ? 300 : 1));
    }

    /// @dev An operator opts in to or out of the model.
    function toggleServing(uint256 operatorSeed) external recorded {
        _toggleServing(nodes, operators[bound(operatorSeed, 0, operators.length - 1)], modelId);
    }

    /// @dev Escrow of the requester's refunded requests.
    function refundedToConsumer() external view returns (uint256 sum) {
        for (uint256 i = 0; i < ids.length; i++) {
            Coprocessor.Request memory r = CoprocessorViews(address(cp)).getRequest(ids[i]);
            if (r.status == Coprocessor.Status.Refunded) sum += r.escrow;
        }
    }

    /// `from`: 0 the Committee, 1 the Coprocessor, 2 the NodeRegistry's fees.
    function withdraw(uint256 payeeSeed, uint8 from) external recorded {
        address who = payees[bound(payeeSeed, 0, payees.length - 1)];
        from = uint8(bound(from, 0, 2));
        uint256 owed = from == 0 ? committee.balanceOf(who) : from == 1 ? cp.balanceOf(who) : nodes.getOperator(who).fees;
        vm.prank(who);
        if (from == 0) {
            try committee.withdraw() {
                ghostOut += owed;
                ghostWithdrawnFromCommittee[who] += owed;
            } catch {}
        } else if (from == 1) {
            try cp.withdraw() {
                ghostOut += owed;
                ghostWithdrawnFromCoprocessor[who] += owed;
            } catch {}
        } else {
            try nodes.withdrawFees() {
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
        CommitteeBase.Parameters memory p = committeeParameters();
        (p.committeeSize, p.appealSizes[0], p.appealSizes[1], p.maxRounds) = (3, 5, 7, 3);
        (p.proposeWindow, p.commitWindow, p.revealWindow, p.appealWindow) = (60, 60, 60, 60);
        throughTimelock(committee, abi.encodeCall(Committee.setParameters, (p)));
        // Three operators are staked but serve other models only (until they opt in).
        for (uint256 i = OPERATORS - 3; i < OPERATORS; i++) {
            vm.prank(operators[i]);
            nodes.stopServing(modelId);
        }
        address[] memory appellants = new address[](2);
        (appellants[0], appellants[1]) = (address(0xA991), address(0xA992));
        address[] memory everyone = new address[](OPERATORS + 5);
        for (uint256 i = 0; i < OPERATORS; i++) everyone[i] = operators[i];
        everyone[OPERATORS] = modelOwner;
        everyone[OPERATORS + 1] = address(consumer);
        everyone[OPERATORS + 2] = TREASURY;
        (everyone[OPERATORS + 3], everyone[OPERATORS + 4]) = (appellants[0], appellants[1]);
        handler = new CommitteeHandler(coprocessor, committee, nodes, modelId, address(consumer), everyone, operators, appellants);
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
            CommitteeBase.Task memory t = committee.getTask(handler.ids(i));
            if (t.phase == CommitteeBase.Phase.Finalized || t.phase == CommitteeBase.Phase.Refunded) assertEq(t.pot, 0, "pot shared");
        }
    }

    /// The requester is credited its refunded escrow by the Coprocessor and nothing by the
    /// Committee: no slash or forfeited bond ever reaches it.
    /// forge-config: default.invariant.depth = 150
    function invariant_noSlashIsEverCreditedToTheRequester() public view {
        address r = address(consumer);
        assertEq(committee.balanceOf(r) + handler.ghostWithdrawnFromCommittee(r), 0, "requester: nothing from the committee");
        assertEq(
            coprocessor.balanceOf(r) + handler.ghostWithdrawnFromCoprocessor(r), handler.refundedToConsumer(), "requester: refunds only"
        );
    }

    /// An appellant gets back at most its bonds: never a share of the pot.
    /// forge-config: default.invariant.depth = 150
    function invariant_appellantsGetAtMostTheirBondsBack() public view {
        for (uint256 i = 0; i < handler.appellantCount(); i++) {
            address a = handler.appellants(i);
            assertLe(committee.balanceOf(a) + handler.ghostWithdrawnFromCommittee(a), handler.ghostBonds(a), "appellant: bonds only");
        }
    }

    /// Committees are drawn only from operators that served the model at the end of the draw block
    /// (one slashed below the minimum or gone since is still drawn: a later change moves no draw).
    /// forge-config: default.invariant.depth = 150
    function invariant_membersAreDrawnOnlyFromServingOperators() public view {
        assertEq(handler.drawnNonServers(), 0, "a non-serving operator was drawn");
    }
}
