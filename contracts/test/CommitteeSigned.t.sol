// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeFixture} from "./Committee.t.sol";
import {Committee} from "../src/Committee.sol";
import {CommitteeBase} from "../src/CommitteeBase.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {Specs} from "./utils/Specs.sol";

/// @dev Issue 18 item 3: members' sealed votes signed off chain and sent in one transaction
/// (`commitSigned`), their openings in one transaction (`revealMany`), and the attacks on them:
/// a replayed signature, a signature for another request, round or seat, another member's stale
/// ballot, forged openings, and a leader that withholds the ballots it collected.
contract CommitteeSignedTest is CommitteeFixture {
    event log_named_uint(string key, uint256 val);
    event VotesRevealed(uint256 indexed requestId, uint8 round, uint64 votes);

    mapping(address => uint256) internal keyOf;
    bytes32[] internal NO_BATCH;

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
        committee.setRule(modelId, CommitteeBase.Criterion.Label, 0, labels, "Did the critics love the film?");
    }

    function ballot(uint256 id, uint8 round, uint8 seat, address signer, CommitteeBase.Vote v)
        internal
        returns (CommitteeBase.SignedBallot memory b)
    {
        b.seat = seat;
        b.commitment = committee.commitmentOf(id, round, signer, v, salt(signer));
        bytes memory answer = committee.getRound(id, round).answer;
        (b.v, b.r, b.s) = vm.sign(keyOf[signer], committee.ballotDigest(id, round, seat, b.commitment, keccak256(answer)));
    }

    /// @dev A ballot signed over `answer` (for `proposeSigned`, before the answer is on chain).
    function ballotOn(uint256 id, uint8 round, uint8 seat, address signer, CommitteeBase.Vote v, bytes memory answer)
        internal
        returns (CommitteeBase.SignedBallot memory b)
    {
        b.seat = seat;
        b.commitment = committee.commitmentOf(id, round, signer, v, salt(signer));
        (b.v, b.r, b.s) = vm.sign(keyOf[signer], committee.ballotDigest(id, round, seat, b.commitment, keccak256(answer)));
    }

    /// @dev Every voter of round 0's signed Agree ballots, seats 1..4.
    function ballots(uint256 id) internal returns (CommitteeBase.SignedBallot[] memory bs) {
        address[] memory m = members(id, 0);
        bs = new CommitteeBase.SignedBallot[](m.length - 1);
        for (uint8 i = 1; i < m.length; i++) bs[i - 1] = ballot(id, 0, i, m[i], CommitteeBase.Vote.Agree);
    }

    function openings(uint256 id, uint256 from, uint256 to) internal view returns (CommitteeBase.Opening[] memory os) {
        address[] memory m = members(id, 0);
        os = new CommitteeBase.Opening[](to - from);
        for (uint256 i = from; i < to; i++) os[i - from] = CommitteeBase.Opening(uint8(i), CommitteeBase.Vote.Agree, salt(m[i]));
    }

    function test_signedBallotsAndOpenings_inTwoTransactions_acceptAndFinalise() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        // Anyone may carry the ballots: here a stranger.
        vm.prank(address(0xCAFE));
        committee.commitSigned(id, ballots(id));
        assertTrue(phase(id) == CommitteeBase.Phase.Reveal, "every voter committed: the reveal opens");
        vm.prank(address(0xCAFE));
        committee.revealMany(id, openings(id, 1, 5), NO_BATCH);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "every vote open: decided at once");
        assertEq(committee.getRound(id, 0).agrees, 4, "four agrees counted");
        finalize(id);
        assertEq(consumer.calls(), 1, "called back once");
        address[] memory m = members(id, 0);
        for (uint256 i = 0; i < 5; i++) assertEq(stakeOf(m[i]), 1 ether, "nobody slashed");
    }

    function test_attack_replayedSignature_changesNothing_andAnotherRequestsSignatureIsRefused() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        CommitteeBase.SignedBallot[] memory bs = ballots(id);
        CommitteeBase.SignedBallot[] memory one = new CommitteeBase.SignedBallot[](1);
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
        CommitteeBase.SignedBallot[] memory one = new CommitteeBase.SignedBallot[](1);
        // Member 1's signature put on seat 2.
        one[0] = ballot(id, 0, 1, m[1], CommitteeBase.Vote.Agree);
        one[0].seat = 2;
        vm.expectRevert();
        committee.commitSigned(id, one);
        // A carrier swapping the commitment under a valid signature: another signer is recovered.
        one[0] = ballot(id, 0, 1, m[1], CommitteeBase.Vote.Agree);
        one[0].commitment = committee.commitmentOf(id, 0, m[1], CommitteeBase.Vote.Disagree, salt(m[1]));
        vm.expectRevert();
        committee.commitSigned(id, one);
        // The leader cannot be given a vote in its own proposal round.
        one[0] = ballot(id, 0, 0, m[0], CommitteeBase.Vote.Agree);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotMember.selector, id, m[0], 0));
        committee.commitSigned(id, one);
        assertEq(committee.getTask(id).committed, 0, "nothing committed");
    }

    function test_attack_aStaleBallotFromAnEarlierRound_isRefused() public {
        uint256 id = ask();
        // The leader does not propose: round 1 follows with the same members rotated.
        address[] memory m0 = members(id, 0);
        CommitteeBase.SignedBallot memory stale = ballot(id, 0, 1, m0[1], CommitteeBase.Vote.Agree);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertEq(committee.getTask(id).round, 1, "round 1");
        proposeAs(id, "loved");
        address[] memory m1 = members(id, 1);
        // m0[1] leads round 1 (seat 0); its round-0 ballot put on the seat it holds now, or on
        // its old seat, recovers nobody who holds that seat in round 1.
        CommitteeBase.SignedBallot[] memory one = new CommitteeBase.SignedBallot[](1);
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
        CommitteeBase.SignedBallot[] memory bs = ballots(id);
        CommitteeBase.SignedBallot[] memory three = new CommitteeBase.SignedBallot[](3);
        for (uint256 i = 0; i < 3; i++) three[i] = bs[i];
        committee.commitSigned(id, three);
        // Commits still open: no opening is accepted yet.
        CommitteeBase.Opening[] memory early = openings(id, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.WrongPhase.selector, id, CommitteeBase.Phase.Commit));
        committee.revealMany(id, early, NO_BATCH);
        CommitteeBase.SignedBallot[] memory last = new CommitteeBase.SignedBallot[](1);
        last[0] = bs[3];
        committee.commitSigned(id, last);
        // An opening with the wrong vote (a carrier flipping a member's vote) does not match.
        address[] memory m = members(id, 0);
        CommitteeBase.Opening[] memory flipped = openings(id, 1, 2);
        flipped[0].vote = CommitteeBase.Vote.Disagree;
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.CommitmentMismatch.selector, id, m[1]));
        committee.revealMany(id, flipped, NO_BATCH);
        // The leader's seat has nothing to open.
        CommitteeBase.Opening[] memory leader = new CommitteeBase.Opening[](1);
        leader[0] = CommitteeBase.Opening(0, CommitteeBase.Vote.Agree, salt(m[0]));
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotCommitted.selector, id, m[0]));
        committee.revealMany(id, leader, NO_BATCH);
        // Opened twice: the second time is skipped.
        committee.revealMany(id, openings(id, 1, 3), NO_BATCH);
        committee.revealMany(id, openings(id, 1, 3), NO_BATCH);
        assertEq(committee.getTask(id).revealed, 2, "two votes open");
    }

    /// @dev The leader collects every ballot and sends only two: the other members commit on
    /// chain themselves before the deadline (the node's fallback), and open their own votes.
    function test_attack_aLeaderWithholdingBallots_cannotSilenceMembers() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        address[] memory m = members(id, 0);
        CommitteeBase.SignedBallot[] memory bs = ballots(id);
        CommitteeBase.SignedBallot[] memory two = new CommitteeBase.SignedBallot[](2);
        (two[0], two[1]) = (bs[0], bs[1]);
        committee.commitSigned(id, two);
        commitAs(id, 0, m[3], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[4], CommitteeBase.Vote.Agree);
        assertEq(committee.getTask(id).committed, 4, "four commits");
        // The withheld ballots sent late: every voter has committed, the commit phase is over.
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.WrongPhase.selector, id, CommitteeBase.Phase.Reveal));
        committee.commitSigned(id, bs);
        committee.revealMany(id, openings(id, 1, 3), NO_BATCH);
        revealAs(id, m[3], CommitteeBase.Vote.Agree);
        revealAs(id, m[4], CommitteeBase.Vote.Agree);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "accepted");
        for (uint256 i = 0; i < 5; i++) assertEq(stakeOf(m[i]), 1 ether, "nobody slashed");
    }

    /// @dev A leader that sends nobody's ballots: members that did not fall back are no-shows.
    function test_withheldBallotsWithoutFallback_areNoShows() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        address[] memory m = members(id, 0);
        commitAs(id, 0, m[1], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[2], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[3], CommitteeBase.Vote.Agree);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        committee.revealMany(id, openings(id, 1, 4), NO_BATCH);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "three agrees and the leader accept");
        assertEq(1 ether - stakeOf(m[4]), committee.noShowSlash(), "the member that never committed is slashed noShowSlash");
    }

    /// @dev Every voter's ballot over `answer` for the committee `pendingCommittee` announces.
    function ballotsOn(uint256 id, address[] memory m, bytes memory answer, CommitteeBase.Vote v)
        internal
        returns (CommitteeBase.SignedBallot[] memory bs)
    {
        bs = new CommitteeBase.SignedBallot[](m.length - 1);
        for (uint8 i = 1; i < m.length; i++) bs[i - 1] = ballotOn(id, 0, i, m[i], v, answer);
    }

    /// @dev The commitments of `bs` by seat, as `BallotsSealed` lists them.
    function batchOf(CommitteeBase.SignedBallot[] memory bs, uint256 n) internal pure returns (bytes32[] memory batch) {
        batch = new bytes32[](n);
        for (uint256 i = 0; i < bs.length; i++) batch[bs[i].seat] = bs[i].commitment;
    }

    /// @dev A request accepted the leader's way: drawn, proposed and every Agree ballot sealed in
    /// `proposeSigned`, opened in one `revealMany`.
    function acceptSigned() internal returns (uint256 id, address[] memory m) {
        (id, m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", bs);
        committee.revealMany(id, openings(id, 1, 5), batchOf(bs, 5));
    }

    /// @dev A request whose draw block has passed, and the committee its draw will give.
    function askPending() internal returns (uint256 id, address[] memory m) {
        id = askUndrawn();
        vm.roll(block.number + 1);
        m = committee.pendingCommittee(id);
    }

    function test_proposeSigned_drawsProposesAndCommitsInOneTransaction_thenOneRevealDecides() public {
        (uint256 id, address[] memory m) = askPending();
        assertEq(m.length, 5, "the pending committee is known before the draw");
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", bs);
        assertEq(keccak256(abi.encode(members(id, 0))), keccak256(abi.encode(m)), "the members drawn are the ones announced");
        assertTrue(phase(id) == CommitteeBase.Phase.Reveal, "every voter committed: the reveal opens");
        assertEq(committee.getRound(id, 0).committedSeats, 0x1E, "seats 1 to 4 committed");
        (bytes32 stored,) = committee.getBallot(id, 0, 1);
        assertEq(stored, bytes32(0), "a signed ballot takes no slot of its own");
        bytes32[] memory batch = batchOf(bs, 5);
        // The batch's hash sits in the members' code between the members and the answer.
        assertEq(committee.getRound(id, 0).sealedBatch, keccak256(abi.encode(batch)), "the batch's hash");
        assertEq(keccak256(committee.getRound(id, 0).answer), keccak256("loved"), "the answer after it");
        vm.prank(address(0xCAFE));
        committee.revealMany(id, openings(id, 1, 5), batch);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "decided at once");
        finalize(id);
        assertEq(consumer.calls(), 1, "called back once");
        for (uint256 i = 0; i < 5; i++) assertEq(stakeOf(m[i]), 1 ether, "nobody slashed");
    }

    function test_proposeSigned_afterSomeoneElseDrew_stillProposesAndCommits() public {
        (uint256 id, address[] memory m) = askPending();
        committee.draw(id);
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", bs);
        assertTrue(phase(id) == CommitteeBase.Phase.Reveal, "committed");
        // The members' code was made by `draw`: the batch's hash is in storage instead.
        bytes32[] memory batch = batchOf(bs, 5);
        assertEq(committee.getRound(id, 0).sealedBatch, keccak256(abi.encode(batch)), "the batch's hash");
        assertEq(keccak256(committee.getRound(id, 0).answer), keccak256("loved"), "the answer");
        bytes32[] memory forged = batchOf(bs, 5);
        forged[2] = committee.commitmentOf(id, 0, m[2], CommitteeBase.Vote.Disagree, salt(m[2]));
        CommitteeBase.Opening[] memory os = openings(id, 1, 5);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.BatchMismatch.selector, id));
        committee.revealMany(id, os, forged);
        committee.revealMany(id, os, batch);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "decided");
    }

    /// @dev `revealMany` writes the votes once and announces them in one `VotesRevealed`; a seat
    /// listed twice counts once; a Disagree among them is counted as one.
    function test_revealMany_aSeatListedTwiceCountsOnce_andOneEventCarriesTheVotes() public {
        (uint256 id, address[] memory m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        bs[3] = ballotOn(id, 0, 4, m[4], CommitteeBase.Vote.Disagree, "loved");
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", bs);
        CommitteeBase.Opening[] memory os = new CommitteeBase.Opening[](3);
        os[0] = CommitteeBase.Opening(1, CommitteeBase.Vote.Agree, salt(m[1]));
        os[1] = CommitteeBase.Opening(4, CommitteeBase.Vote.Disagree, salt(m[4]));
        os[2] = os[0];
        vm.expectEmit(true, false, false, true, address(committee));
        emit VotesRevealed(id, 0, uint64((1 << 2) | (2 << 8)));
        committee.revealMany(id, os, batchOf(bs, 5));
        CommitteeBase.Round memory r = committee.getRound(id, 0);
        assertEq(r.agrees, 1, "seat 1 once");
        assertEq(r.disagrees, 1, "seat 4");
        assertEq(committee.getTask(id).revealed, 2, "two opened");
        assertTrue(phase(id) == CommitteeBase.Phase.Reveal, "seats 2 and 3 still to open");
        committee.revealMany(id, openings(id, 2, 4), batchOf(bs, 5));
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "three agrees and the leader against one");
    }

    /// @dev `batch` with the entries of `seats` replaced by OPENED (taken from the openings).
    function opened(bytes32[] memory batch, uint256 from, uint256 to) internal view returns (bytes32[] memory b) {
        b = new bytes32[](batch.length);
        for (uint256 i = 0; i < batch.length; i++) b[i] = i >= from && i < to ? committee.OPENED() : batch[i];
    }

    /// @dev A batch entry OPENED is the commitment of the opening given for that seat: an honest
    /// opening passes; a wrong vote or salt, an OPENED seat without its opening, or one of a seat
    /// not in the batch changes the batch and is refused; a seat already revealed may be OPENED
    /// again (skipped); a ballot sealing OPENED itself is refused.
    function test_attack_revealMany_withOpenedEntries_acceptsOnlyTheSealedVotes() public {
        (uint256 id, address[] memory m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        CommitteeBase.SignedBallot[] memory bad = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        bad[0].commitment = committee.OPENED();
        (bad[0].v, bad[0].r, bad[0].s) = vm.sign(keyOf[m[1]], committee.ballotDigest(id, 0, 1, bad[0].commitment, keccak256("loved")));
        vm.prank(m[0]);
        vm.expectRevert(CommitteeBase.InvalidVote.selector);
        committee.proposeSigned(id, "loved", bad);
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", bs);
        bytes32[] memory batch = batchOf(bs, 5);
        (bytes32[] memory b12, bytes32[] memory b123, bytes32[] memory b0) = (opened(batch, 1, 3), opened(batch, 1, 4), opened(batch, 0, 1));
        CommitteeBase.Opening[] memory two = openings(id, 1, 3);
        CommitteeBase.Opening[] memory leader = openings(id, 0, 1);
        CommitteeBase.Opening[] memory flipped = openings(id, 1, 3);
        flipped[1].vote = CommitteeBase.Vote.Disagree;
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.BatchMismatch.selector, id));
        committee.revealMany(id, flipped, b12);
        flipped[1] = CommitteeBase.Opening(2, CommitteeBase.Vote.Agree, salt(m[3]));
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.BatchMismatch.selector, id));
        committee.revealMany(id, flipped, b12);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.BatchMismatch.selector, id));
        committee.revealMany(id, two, b123);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.BatchMismatch.selector, id));
        committee.revealMany(id, leader, b0);
        committee.revealMany(id, two, b12);
        assertEq(committee.getTask(id).revealed, 2, "seats 1 and 2 opened");
        bytes32[] memory all = opened(batch, 1, 5);
        committee.revealMany(id, openings(id, 1, 5), all);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "the rest opened beside the two already open");
        assertEq(committee.getRound(id, 0).agrees, 4, "each seat once");
    }

    /// @dev An appeal's committee is drawn by `draw`: `proposeSigned` cannot draw it (nor propose in it).
    function test_attack_proposeSigned_whileAnAppealWaitsForItsDraw_isRefused() public {
        (uint256 id, address[] memory m) = acceptSigned();
        address appellant = address(0xA99);
        vm.deal(appellant, 1 ether);
        uint256 bond = committee.appealBondFor(id);
        vm.prank(appellant);
        committee.appeal{value: bond}(id);
        vm.roll(block.number + 1);
        vm.prank(m[0]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.WrongPhase.selector, id, CommitteeBase.Phase.Drawing));
        committee.proposeSigned(id, "loved", new CommitteeBase.SignedBallot[](0));
        committee.draw(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Commit, "the appeal committee votes");
    }

    function test_attack_proposeSigned_byAnotherThanTheDrawnLeader_isRefused() public {
        (uint256 id, address[] memory m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotLeader.selector, id, m[1]));
        committee.proposeSigned(id, "loved", bs);
        vm.roll(block.number - 1);
        vm.prank(m[0]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.DrawNotReady.selector, id, uint64(block.number)));
        committee.proposeSigned(id, "loved", bs);
    }

    /// @dev The leader shows its members "loved" and proposes "not loved" with their ballots:
    /// each ballot binds the answer its member saw, so it recovers nobody on the seat.
    function test_attack_aBallotForAnotherAnswer_isRefused() public {
        (uint256 id, address[] memory m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        vm.prank(m[0]);
        vm.expectRevert();
        committee.proposeSigned(id, "not loved", bs);
        assertTrue(phase(id) == CommitteeBase.Phase.Drawing, "nothing happened");
    }

    function test_attack_aBallotOfAnotherRequestOrSeat_isRefused_andASeatSignedTwiceCountsOnce() public {
        (uint256 id, address[] memory m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        // A ballot of this request on the other request (same members would not help: another digest).
        (uint256 other, address[] memory mo) = askPending();
        CommitteeBase.SignedBallot[] memory one = new CommitteeBase.SignedBallot[](1);
        one[0] = bs[0];
        vm.prank(mo[0]);
        vm.expectRevert();
        committee.proposeSigned(other, "loved", one);
        // Seat 1's ballot put on seat 2.
        one[0] = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree)[0];
        one[0].seat = 2;
        vm.prank(m[0]);
        vm.expectRevert();
        committee.proposeSigned(id, "loved", one);
        // The same ballot twice: counted once.
        CommitteeBase.SignedBallot[] memory twice = new CommitteeBase.SignedBallot[](2);
        (twice[0], twice[1]) = (bs[0], bs[0]);
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", twice);
        assertEq(committee.getTask(id).committed, 1, "one commit counted");
        // Replayed through commitSigned: the seat has committed, nothing changes.
        one[0] = bs[0];
        committee.commitSigned(id, one);
        assertEq(committee.getTask(id).committed, 1, "still one commit");
    }

    /// @dev The leader sends only two ballots: the others commit on chain themselves; a member of
    /// the batch whose opening the leader withholds opens it itself with the batch; a wrong batch
    /// or none is refused.
    function test_attack_aLeaderWithholdingSignedBallotsOrOpenings_cannotSilenceMembers() public {
        (uint256 id, address[] memory m) = askPending();
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        CommitteeBase.SignedBallot[] memory two = new CommitteeBase.SignedBallot[](2);
        (two[0], two[1]) = (bs[0], bs[1]);
        vm.prank(m[0]);
        committee.proposeSigned(id, "loved", two);
        assertTrue(phase(id) == CommitteeBase.Phase.Commit, "two voters still to commit");
        commitAs(id, 0, m[3], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[4], CommitteeBase.Vote.Agree);
        assertTrue(phase(id) == CommitteeBase.Phase.Reveal, "all committed");
        bytes32[] memory batch = batchOf(two, 5);
        // Seat 1 opens its own vote; without the batch, or with a forged one, it cannot.
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotCommitted.selector, id, m[1]));
        vm.prank(m[1]);
        committee.reveal(id, 1, CommitteeBase.Vote.Agree, salt(m[1]));
        bytes32[] memory forged = batchOf(two, 5);
        forged[1] = committee.commitmentOf(id, 0, m[1], CommitteeBase.Vote.Disagree, salt(m[1]));
        CommitteeBase.Opening[] memory first = openings(id, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.BatchMismatch.selector, id));
        committee.revealMany(id, first, forged);
        CommitteeBase.Opening[] memory flipped = openings(id, 1, 2);
        flipped[0].vote = CommitteeBase.Vote.Disagree;
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.CommitmentMismatch.selector, id, m[1]));
        committee.revealMany(id, flipped, batch);
        vm.prank(m[1]);
        committee.revealMany(id, first, batch);
        revealAs(id, m[3], CommitteeBase.Vote.Agree);
        revealAs(id, m[4], CommitteeBase.Vote.Agree);
        // Seat 2 (in the batch) never opens: committed and hidden, slashed as a wrong vote.
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "four agrees with the leader accept");
        assertEq(1 ether - stakeOf(m[2]), committee.wrongSlash(), "the hidden batch vote is slashed wrongSlash");
        assertEq(stakeOf(m[1]), 1 ether, "the member that opened its own vote is not slashed");
    }

    /// @dev Gas of a 5-member request, the leader's way: request, proposeSigned (draw, proposal,
    /// 4 ballots), revealMany (4 openings, tally), advance (finalisation), each cold.
    function test_gas_fiveMemberRequest_proposeSigned() public {
        (uint256 first,) = acceptSigned();
        finalize(first);
        uint256 total;
        coolAll();
        uint256 g = gasleft();
        uint256 id = askUndrawn();
        uint256 requestGas = g - gasleft() + 21_000;
        vm.roll(block.number + 1);
        address[] memory m = committee.pendingCommittee(id);
        CommitteeBase.SignedBallot[] memory bs = ballotsOn(id, m, "loved", CommitteeBase.Vote.Agree);
        coolAll();
        vm.prank(m[0]);
        g = gasleft();
        committee.proposeSigned(id, "loved", bs);
        total += g - gasleft() + 21_000;
        emit log_named_uint("proposeSigned", g - gasleft() + 21_000);
        CommitteeBase.Opening[] memory os = openings(id, 1, 5);
        bytes32[] memory batch = opened(batchOf(bs, 5), 1, 5);
        coolAll();
        g = gasleft();
        committee.revealMany(id, os, batch);
        total += g - gasleft() + 21_000;
        emit log_named_uint("revealMany", g - gasleft() + 21_000);
        vm.warp(block.timestamp + 301);
        coolAll();
        g = gasleft();
        committee.advance(id);
        total += g - gasleft() + 21_000;
        emit log_named_uint("advance (finalisation)", g - gasleft() + 21_000);
        emit log_named_uint("request", requestGas);
        emit log_named_uint("agreed-mode gas, 5 members, proposeSigned (cold, as separate transactions)", total + requestGas);
        assertEq(consumer.calls(), 2, "both requests answered");
    }

    /// @dev Gas of a 5-member request over every transaction, each transaction's storage cold,
    /// with the ballots and openings each sent in one transaction.
    function test_gas_fiveMemberRequest_signedBallots() public {
        uint256 first = ask();
        proposeAs(first, "loved");
        committee.commitSigned(first, ballots(first));
        committee.revealMany(first, openings(first, 1, 5), NO_BATCH);
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
        CommitteeBase.SignedBallot[] memory bs = ballots(id);
        coolAll();
        g = gasleft();
        committee.commitSigned(id, bs);
        total += g - gasleft() + 21_000;
        CommitteeBase.Opening[] memory os = openings(id, 1, 5);
        coolAll();
        g = gasleft();
        committee.revealMany(id, os, NO_BATCH);
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
