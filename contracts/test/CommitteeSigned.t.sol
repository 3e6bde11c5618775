// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeFixture} from "./Committee.t.sol";
import {Committee} from "../src/Committee.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {Specs} from "./utils/Specs.sol";

/// @dev Issue 18 item 3: members' sealed votes signed off chain and sent in one transaction
/// (`commitSigned`), their openings in one transaction (`revealMany`), and the attacks on them:
/// a replayed signature, a signature for another request, round or seat, another member's stale
/// ballot, forged openings, and a leader that withholds the ballots it collected.
contract CommitteeSignedTest is CommitteeFixture {
    event log_named_uint(string key, uint256 val);

    mapping(address => uint256) internal keyOf;

    /// @dev A second agreed model served only by operators whose keys the test holds.
    function setUp() public override {
        super.setUp();
        vm.prank(modelOwner);
        modelId = registry.registerModel("signed-critic", IModelRegistry.Mode.Agreed, Specs.agreed(keccak256("llama-2")), 0.002 ether);
        for (uint256 i = 0; i < 8; i++) {
            uint256 key = 0xB0B + i;
            address op = vm.addr(key);
            keyOf[op] = key;
            vm.deal(op, 3 ether);
            vm.startPrank(op);
            nodes.register{value: 1 ether}("validator", "http://localhost");
            nodes.serveModel(modelId);
            vm.stopPrank();
        }
        string[] memory labels = new string[](2);
        (labels[0], labels[1]) = ("loved", "not loved");
        vm.prank(modelOwner);
        committee.setRule(modelId, Committee.Criterion.Label, 0, labels, "Did the critics love the film?");
    }

    function ballot(uint256 id, uint8 round, uint8 seat, address signer, Committee.Vote v)
        internal
        returns (Committee.SignedBallot memory b)
    {
        b.seat = seat;
        b.commitment = committee.commitmentOf(id, round, signer, v, salt(signer));
        (b.v, b.r, b.s) = vm.sign(keyOf[signer], committee.ballotDigest(id, round, seat, b.commitment));
    }

    /// @dev Every voter of round 0's signed Agree ballots, seats 1..4.
    function ballots(uint256 id) internal returns (Committee.SignedBallot[] memory bs) {
        address[] memory m = members(id, 0);
        bs = new Committee.SignedBallot[](m.length - 1);
        for (uint8 i = 1; i < m.length; i++) bs[i - 1] = ballot(id, 0, i, m[i], Committee.Vote.Agree);
    }

    function openings(uint256 id, uint256 from, uint256 to) internal view returns (Committee.Opening[] memory os) {
        address[] memory m = members(id, 0);
        os = new Committee.Opening[](to - from);
        for (uint256 i = from; i < to; i++) os[i - from] = Committee.Opening(uint8(i), Committee.Vote.Agree, salt(m[i]));
    }

    function test_signedBallotsAndOpenings_inTwoTransactions_acceptAndFinalise() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        // Anyone may carry the ballots: here a stranger.
        vm.prank(address(0xCAFE));
        committee.commitSigned(id, ballots(id));
        assertTrue(phase(id) == Committee.Phase.Reveal, "every voter committed: the reveal opens");
        vm.prank(address(0xCAFE));
        committee.revealMany(id, openings(id, 1, 5));
        assertTrue(phase(id) == Committee.Phase.Accepted, "every vote open: decided at once");
        assertEq(committee.getRound(id, 0).agrees, 4, "four agrees counted");
        finalize(id);
        assertEq(consumer.calls(), 1, "called back once");
        address[] memory m = members(id, 0);
        for (uint256 i = 0; i < 5; i++) assertEq(stakeOf(m[i]), 1 ether, "nobody slashed");
    }

    function test_attack_replayedSignature_changesNothing_andAnotherRequestsSignatureIsRefused() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        Committee.SignedBallot[] memory bs = ballots(id);
        Committee.SignedBallot[] memory one = new Committee.SignedBallot[](1);
        one[0] = bs[0];
        committee.commitSigned(id, one);
        // Replayed: the seat has committed, nothing is stored twice or overwritten.
        committee.commitSigned(id, one);
        assertEq(committee.getTask(id).committed, 1, "one commit counted");
        // The same signature on another request recovers another signer.
        uint256 other = ask();
        proposeAs(other, "loved");
        vm.expectRevert();
        committee.commitSigned(other, one);
        (bytes32 stored,) = committee.getBallot(other, 0, bs[0].seat);
        assertEq(stored, bytes32(0), "nothing committed on the other request");
    }

    function test_attack_aSignatureForAnotherSeatOrCommitment_isRefused() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        address[] memory m = members(id, 0);
        Committee.SignedBallot[] memory one = new Committee.SignedBallot[](1);
        // Member 1's signature put on seat 2.
        one[0] = ballot(id, 0, 1, m[1], Committee.Vote.Agree);
        one[0].seat = 2;
        vm.expectRevert();
        committee.commitSigned(id, one);
        // A carrier swapping the commitment under a valid signature: another signer is recovered.
        one[0] = ballot(id, 0, 1, m[1], Committee.Vote.Agree);
        one[0].commitment = committee.commitmentOf(id, 0, m[1], Committee.Vote.Disagree, salt(m[1]));
        vm.expectRevert();
        committee.commitSigned(id, one);
        // The leader cannot be given a vote in its own proposal round.
        one[0] = ballot(id, 0, 0, m[0], Committee.Vote.Agree);
        vm.expectRevert(abi.encodeWithSelector(Committee.NotMember.selector, id, m[0], 0));
        committee.commitSigned(id, one);
        assertEq(committee.getTask(id).committed, 0, "nothing committed");
    }

    function test_attack_aStaleBallotFromAnEarlierRound_isRefused() public {
        uint256 id = ask();
        // The leader does not propose: round 1 follows with the same members rotated.
        address[] memory m0 = members(id, 0);
        Committee.SignedBallot memory stale = ballot(id, 0, 1, m0[1], Committee.Vote.Agree);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertEq(committee.getTask(id).round, 1, "round 1");
        proposeAs(id, "loved");
        address[] memory m1 = members(id, 1);
        // m0[1] leads round 1 (seat 0); its round-0 ballot put on the seat it holds now, or on
        // its old seat, recovers nobody who holds that seat in round 1.
        Committee.SignedBallot[] memory one = new Committee.SignedBallot[](1);
        for (uint8 seat = 1; seat < m1.length; seat++) {
            one[0] = stale;
            one[0].seat = seat;
            vm.expectRevert();
            committee.commitSigned(id, one);
        }
        assertEq(committee.getTask(id).committed, 0, "no stale ballot counted");
    }

    function test_attack_forgedOpenings_areRefused_andRevealsCannotComeEarly() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        Committee.SignedBallot[] memory bs = ballots(id);
        Committee.SignedBallot[] memory three = new Committee.SignedBallot[](3);
        for (uint256 i = 0; i < 3; i++) three[i] = bs[i];
        committee.commitSigned(id, three);
        // Commits still open: no opening is accepted yet.
        Committee.Opening[] memory early = openings(id, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Committee.WrongPhase.selector, id, Committee.Phase.Commit));
        committee.revealMany(id, early);
        Committee.SignedBallot[] memory last = new Committee.SignedBallot[](1);
        last[0] = bs[3];
        committee.commitSigned(id, last);
        // An opening with the wrong vote (a carrier flipping a member's vote) does not match.
        address[] memory m = members(id, 0);
        Committee.Opening[] memory flipped = openings(id, 1, 2);
        flipped[0].vote = Committee.Vote.Disagree;
        vm.expectRevert(abi.encodeWithSelector(Committee.CommitmentMismatch.selector, id, m[1]));
        committee.revealMany(id, flipped);
        // The leader's seat has nothing to open.
        Committee.Opening[] memory leader = new Committee.Opening[](1);
        leader[0] = Committee.Opening(0, Committee.Vote.Agree, salt(m[0]));
        vm.expectRevert(abi.encodeWithSelector(Committee.NotCommitted.selector, id, m[0]));
        committee.revealMany(id, leader);
        // Opened twice: the second time is skipped.
        committee.revealMany(id, openings(id, 1, 3));
        committee.revealMany(id, openings(id, 1, 3));
        assertEq(committee.getTask(id).revealed, 2, "two votes open");
    }

    /// @dev The leader collects every ballot and sends only two: the other members commit on
    /// chain themselves before the deadline (the node's fallback), and open their own votes.
    function test_attack_aLeaderWithholdingBallots_cannotSilenceMembers() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        address[] memory m = members(id, 0);
        Committee.SignedBallot[] memory bs = ballots(id);
        Committee.SignedBallot[] memory two = new Committee.SignedBallot[](2);
        (two[0], two[1]) = (bs[0], bs[1]);
        committee.commitSigned(id, two);
        commitAs(id, 0, m[3], Committee.Vote.Agree);
        commitAs(id, 0, m[4], Committee.Vote.Agree);
        assertEq(committee.getTask(id).committed, 4, "four commits");
        // The withheld ballots sent late: every voter has committed, the commit phase is over.
        vm.expectRevert(abi.encodeWithSelector(Committee.WrongPhase.selector, id, Committee.Phase.Reveal));
        committee.commitSigned(id, bs);
        committee.revealMany(id, openings(id, 1, 3));
        revealAs(id, m[3], Committee.Vote.Agree);
        revealAs(id, m[4], Committee.Vote.Agree);
        assertTrue(phase(id) == Committee.Phase.Accepted, "accepted");
        for (uint256 i = 0; i < 5; i++) assertEq(stakeOf(m[i]), 1 ether, "nobody slashed");
    }

    /// @dev A leader that sends nobody's ballots: members that did not fall back are no-shows.
    function test_withheldBallotsWithoutFallback_areNoShows() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        address[] memory m = members(id, 0);
        commitAs(id, 0, m[1], Committee.Vote.Agree);
        commitAs(id, 0, m[2], Committee.Vote.Agree);
        commitAs(id, 0, m[3], Committee.Vote.Agree);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        committee.revealMany(id, openings(id, 1, 4));
        assertTrue(phase(id) == Committee.Phase.Accepted, "three agrees and the leader accept");
        assertEq(1 ether - stakeOf(m[4]), committee.noShowSlash(), "the member that never committed is slashed noShowSlash");
    }

    /// @dev Gas of a 5-member request over every transaction, each transaction's storage cold,
    /// with the ballots and openings each sent in one transaction.
    function test_gas_fiveMemberRequest_signedBallots() public {
        uint256 first = ask();
        proposeAs(first, "loved");
        committee.commitSigned(first, ballots(first));
        committee.revealMany(first, openings(first, 1, 5));
        finalize(first);
        uint256 total;
        coolAll();
        uint256 g = gasleft();
        uint256 id = askUndrawn();
        total += g - gasleft() + 21_000;
        vm.roll(block.number + 1);
        coolAll();
        g = gasleft();
        committee.draw(id);
        total += g - gasleft() + 21_000;
        coolAll();
        g = gasleft();
        proposeAs(id, "loved");
        total += g - gasleft() + 21_000;
        Committee.SignedBallot[] memory bs = ballots(id);
        coolAll();
        g = gasleft();
        committee.commitSigned(id, bs);
        total += g - gasleft() + 21_000;
        Committee.Opening[] memory os = openings(id, 1, 5);
        coolAll();
        g = gasleft();
        committee.revealMany(id, os);
        total += g - gasleft() + 21_000;
        vm.warp(block.timestamp + 301);
        coolAll();
        g = gasleft();
        committee.advance(id);
        total += g - gasleft() + 21_000;
        emit log_named_uint("agreed-mode gas, 5 members, signed ballots (cold, as separate transactions)", total);
        assertEq(consumer.calls(), 2, "both requests answered");
        assertTrue(total < 1_200_000, "signed ballots cost less than one transaction per vote");
    }
}
