// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Timelocked} from "./Timelocked.sol";
import {CommitteeBase} from "./CommitteeBase.sol";
import {IAgreedSettlement} from "./interfaces/IAgreedSettlement.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title CommitteeRounds
/// @notice The code of the Committee's round transactions (draw, propose, commit, reveal,
/// advance, appeal), run by the `Committee` on its own storage (delegatecall): the Committee
/// makes this contract in its constructor and forwards these functions here. Called directly it
/// has no requests: every function reverts `WrongPhase`. The functions are documented on `Committee`.
contract CommitteeRounds is CommitteeBase {
    constructor(INodeRegistry nodes_, IModelRegistry registry_, bytes32 domainSeparator_)
        Ownable(msg.sender)
        Timelocked(MIN_ADMIN_DELAY)
        CommitteeBase(nodes_, registry_, domainSeparator_)
    {}

    function draw(uint256 requestId) external {
        TaskState storage t = tasks[requestId];
        address[] memory members = _draw(requestId, t, IAgreedSettlement(coprocessor).modelOf(requestId));
        if (members.length == 0) return;
        if (_started(requestId)) {
            _startRound(requestId, t, t.round + 1, true, members, t.accepted, 0, "");
        } else {
            _startRound(requestId, t, 0, false, members, 0, 0, "");
        }
    }

    function propose(uint256 requestId, bytes calldata answer) external {
        TaskState storage t = tasks[requestId];
        _propose(requestId, t, _inPhase(requestId, t, Phase.Propose), answer, IAgreedSettlement(coprocessor).modelOf(requestId));
    }

    function proposeSigned(uint256 requestId, bytes calldata answer, SignedBallot[] calldata ballots) external {
        TaskState storage t = tasks[requestId];
        // Read once for the draw and the answer's check.
        bytes32 modelId = IAgreedSettlement(coprocessor).modelOf(requestId);
        RoundState storage r;
        bytes32[] memory batch;
        uint32 seats;
        if (t.phase == Phase.Drawing) {
            bool drawn;
            (drawn, batch, seats) = _drawAndPropose(requestId, t, modelId, answer, ballots);
            if (!drawn) return;
            r = _round(requestId, 0);
        } else {
            // Drawn by someone else: the members are in the round's code already.
            r = _inPhase(requestId, t, Phase.Propose);
            _propose(requestId, t, r, answer, modelId);
            if (ballots.length == 0) return;
            (batch, seats) = _sealBallots(requestId, t.round, _members(r), keccak256(answer), ballots);
            if (seats != 0) r.sealedBatch = keccak256(abi.encode(batch));
        }
        if (seats == 0) return;
        // `BallotsSealed` names the seats that committed (no `Committed` event each).
        r.committedSeats = seats;
        emit BallotsSealed(requestId, t.round, batch);
        if (_committedCount(r) == _voters(r)) _openReveal(t, r);
    }

    /// @dev `proposeSigned` before the draw: draws the first round, checks the leader, the
    /// answer and the ballots against the members drawn, and only then makes the members'
    /// contract, so that the batch's hash goes into its code with them and the answer. False when
    /// the draw rearmed or failed (nothing else is done).
    function _drawAndPropose(uint256 requestId, TaskState storage t, bytes32 modelId, bytes calldata answer, SignedBallot[] calldata ballots)
        private
        returns (bool, bytes32[] memory batch, uint32 seats)
    {
        // Only a first round is proposed; an appeal's committee is drawn by `draw`.
        if (_started(requestId)) revert WrongPhase(requestId, t.phase);
        address[] memory members = _draw(requestId, t, modelId);
        if (members.length == 0) return (false, batch, 0);
        if (msg.sender != members[0]) revert NotLeader(requestId, msg.sender);
        _checkAnswer(requestId, modelId, answer);
        (batch, seats) = _sealBallots(requestId, 0, members, keccak256(answer), ballots);
        _startRound(requestId, t, 0, false, members, 0, seats == 0 ? bytes32(0) : keccak256(abi.encode(batch)), answer);
        _proposed(requestId, t, _round(requestId, 0), answer);
        return (true, batch, seats);
    }

    /// @dev Checks the signed ballots of a proposal round (seat 0 leads, and does not vote) against
    /// `members` and returns their commitments by seat and
    /// the seats they fill (a seat signed twice counts once).
    function _sealBallots(
        uint256 requestId,
        uint8 round,
        address[] memory members,
        bytes32 answerHash,
        SignedBallot[] calldata ballots
    ) private view returns (bytes32[] memory batch, uint32 seats) {
        batch = new bytes32[](members.length);
        for (uint256 i = 0; i < ballots.length; i++) {
            SignedBallot calldata b = ballots[i];
            uint256 seat = b.seat;
            address signer = _signer(requestId, round, b, answerHash);
            if (seat == 0 || seat >= members.length || members[seat] != signer) revert NotMember(requestId, signer, seat);
            // Neither zero (no seat) nor OPENED (`revealMany`'s placeholder) is a sealed vote.
            if (b.commitment == 0 || b.commitment == OPENED) revert InvalidVote();
            if (batch[seat] != 0) continue;
            batch[seat] = b.commitment;
            seats |= uint32(1 << seat);
        }
    }

    function commit(uint256 requestId, uint256 seat, bytes32 commitment) external {
        TaskState storage t = tasks[requestId];
        RoundState storage r = _inPhase(requestId, t, Phase.Commit);
        _checkSeat(requestId, r, seat, msg.sender);
        if (!_commit(requestId, t, r, seat, commitment)) revert AlreadyCommitted(requestId, msg.sender);
        if (_committedCount(r) == _voters(r)) _openReveal(t, r);
    }

    function commitSigned(uint256 requestId, SignedBallot[] calldata ballots) external {
        TaskState storage t = tasks[requestId];
        RoundState storage r = _inPhase(requestId, t, Phase.Commit);
        bytes32 answerHash = keccak256(_answer(_round(requestId, r.appeal ? r.subject : t.round)));
        for (uint256 i = 0; i < ballots.length; i++) {
            SignedBallot calldata b = ballots[i];
            _checkSeat(requestId, r, b.seat, _signer(requestId, t.round, b, answerHash));
            _commit(requestId, t, r, b.seat, b.commitment);
        }
        if (_committedCount(r) == _voters(r)) _openReveal(t, r);
    }

    function reveal(uint256 requestId, uint256 seat, Vote vote, bytes32 salt) external {
        TaskState storage t = tasks[requestId];
        RoundState storage r = _inPhase(requestId, t, Phase.Reveal);
        _checkSeat(requestId, r, seat, msg.sender);
        if (!_reveal(requestId, t, r, seat, vote, salt)) revert AlreadyRevealed(requestId, msg.sender);
        if (_revealedCount(r) == _committedCount(r)) _tally(requestId, t, r);
    }

    function revealMany(uint256 requestId, Opening[] calldata openings, bytes32[] calldata sealedBatch) external {
        TaskState storage t = tasks[requestId];
        RoundState storage r = _inPhase(requestId, t, Phase.Reveal);
        uint64 before = r.votes;
        address[] memory members = _members(r);
        bytes32[] memory batch = sealedBatch;
        if (batch.length != 0) {
            _fillOpened(requestId, t.round, members, openings, batch);
            if (keccak256(abi.encode(batch)) != _sealedBatch(r)) revert BatchMismatch(requestId);
        }
        uint64 votes = _openAll(requestId, t.round, members, before, openings, sealedBatch);
        if (votes == before) return;
        // Written once for every opening (`VotesRevealed` for their `Revealed` events).
        (uint8 agrees, uint8 disagrees) = _count(votes ^ before);
        r.votes = votes;
        r.agrees += agrees;
        r.disagrees += disagrees;
        emit VotesRevealed(requestId, t.round, votes);
        if (_revealedCount(r) == _committedCount(r)) _tally(requestId, t, r);
    }

    /// @dev A batch entry `OPENED` stands for the commitment of that seat's opening in the same
    /// `revealMany`: filled in here from the opening, before the whole batch is checked against
    /// the round's hash (so an OPENED seat's opening is its sealed vote, or the batch mismatches).
    function _fillOpened(uint256 requestId, uint8 round, address[] memory members, Opening[] calldata openings, bytes32[] memory batch)
        private
        pure
    {
        for (uint256 i = 0; i < openings.length; i++) {
            Opening calldata o = openings[i];
            uint256 seat = o.seat;
            if (seat >= batch.length || batch[seat] != OPENED) continue;
            if (seat >= members.length) revert BatchMismatch(requestId);
            batch[seat] = commitmentOf(requestId, round, members[seat], o.vote, o.salt);
        }
    }

    /// @dev `revealMany`'s openings checked, in memory: the round's votes with them. A seat
    /// already revealed (before, or earlier in the list) is skipped. A seat whose batch entry is
    /// OPENED was checked by the batch's hash (`_fillOpened`).
    function _openAll(
        uint256 requestId,
        uint8 round,
        address[] memory members,
        uint64 votes,
        Opening[] calldata openings,
        bytes32[] calldata batch
    ) private returns (uint64) {
        for (uint256 i = 0; i < openings.length; i++) {
            Opening calldata o = openings[i];
            uint256 seat = o.seat;
            if (seat >= members.length) revert NotMember(requestId, msg.sender, seat);
            if (_voteAt(votes, seat) != Vote.None) continue;
            bytes32 sealedVote = seat < batch.length ? batch[seat] : bytes32(0);
            if (o.vote == Vote.None) revert InvalidVote();
            if (sealedVote != OPENED) _checkOpening(requestId, round, seat, members[seat], o.vote, o.salt, sealedVote);
            votes |= uint64(uint256(o.vote) << (2 * seat));
        }
        return votes;
    }

    /// @dev The Agree and Disagree votes among `votes` (two bits a seat).
    function _count(uint64 votes) private pure returns (uint8 agrees, uint8 disagrees) {
        for (; votes != 0; votes >>= 2) {
            uint64 v = votes & 3;
            if (v == 1) agrees++;
            else if (v == 2) disagrees++;
        }
    }

    function advance(uint256 requestId) external {
        TaskState storage t = tasks[requestId];
        Phase phase = t.phase;
        if (phase == Phase.None || phase == Phase.Finalized || phase == Phase.Refunded || phase == Phase.Drawing) {
            revert WrongPhase(requestId, phase);
        }
        if (phase == Phase.Accepted) {
            if (block.timestamp <= t.appealUntil) revert PhaseNotOver(requestId, t.appealUntil);
            _finalize(requestId, t);
            return;
        }
        RoundState storage r = _round(requestId, t.round);
        if (block.timestamp <= r.deadline) revert PhaseNotOver(requestId, r.deadline);
        if (phase == Phase.Propose) {
            address[] memory members = _members(r);
            _slashNoShow(requestId, t, members[0], noShowSlash, "no proposal");
            r.outcome = Outcome.NoProposal;
            emit RoundDecided(requestId, t.round, Outcome.NoProposal, 0, 0);
            _nextProposalRound(requestId, t, members);
        } else if (phase == Phase.Commit) {
            _openReveal(t, r);
        } else {
            _tally(requestId, t, r);
        }
    }

    function appeal(uint256 requestId) external payable {
        TaskState storage t = tasks[requestId];
        if (t.phase != Phase.Accepted) revert WrongPhase(requestId, t.phase);
        if (block.timestamp > t.appealUntil) revert PhaseOver(requestId, t.appealUntil);
        if (t.appeals >= appealSizes.length) revert NoMoreAppeals(requestId);
        uint256 bond = appealBond << t.appeals;
        if (msg.value < bond || msg.value > type(uint96).max) revert AppealBondTooLow(bond, msg.value);
        totalHeld += msg.value;
        t.appeals++;
        uint8 round = t.round + 1;
        RoundState storage r = _round(requestId, round);
        r.appellant = msg.sender;
        r.bond = uint96(msg.value);
        emit Appealed(requestId, round, msg.sender, msg.value);
        nodes.markDrawBlock(IAgreedSettlement(coprocessor).modelOf(requestId));
        _awaitDraw(requestId, t, round);
    }

    /// @dev The draw (see `Committee.draw`): the members drawn, or none when the draw rearmed or
    /// failed (the caller then starts no round).
    function _draw(uint256 requestId, TaskState storage t, bytes32 modelId) private returns (address[] memory members) {
        if (t.phase != Phase.Drawing) revert WrongPhase(requestId, t.phase);
        RoundState storage waiting = _waiting(requestId, t);
        uint64 drawBlock = waiting.deadline;
        if (block.number <= drawBlock) revert DrawNotReady(requestId, drawBlock);
        if (blockhash(drawBlock) == 0) {
            waiting.deadline = uint32(block.number);
            nodes.markDrawBlock(modelId);
            emit DrawRearmed(requestId, _started(requestId) ? t.round + 1 : 0, uint64(block.number));
            return members;
        }
        (uint256 seed, uint256 size, address[] memory exclude) = _drawArgs(requestId, t, drawBlock);
        try nodes.drawCommitteeAt(modelId, seed, size, MIN_COMMITTEE, exclude, drawBlock) returns (address[] memory drawn) {
            members = drawn;
        } catch (bytes memory reason) {
            _drawFailed(requestId, t, reason);
        }
    }

    /// @dev Only "too few servers" ends the draw; anything else (out of gas) is passed on.
    function _drawFailed(uint256 requestId, TaskState storage t, bytes memory reason) private {
        if (bytes4(reason) != NotEnoughServers.selector) {
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
        bool isAppeal = _started(requestId);
        uint8 round = isAppeal ? t.round + 1 : 0;
        emit DrawFailed(requestId, round);
        if (!isAppeal) return _refund(requestId, t);
        RoundState storage dropped = _round(requestId, round);
        _credit(dropped.appellant, dropped.bond);
        delete dropped.appellant;
        delete dropped.bond;
        delete dropped.deadline;
        t.appeals--;
        _accept(requestId, t, t.accepted);
    }

    function _propose(uint256 requestId, TaskState storage t, RoundState storage r, bytes calldata answer, bytes32 modelId) private {
        if (msg.sender != _member(r, 0)) revert NotLeader(requestId, msg.sender);
        _checkAnswer(requestId, modelId, answer);
        r.answer = answer;
        _proposed(requestId, t, r, answer);
    }

    /// @dev The answer is proposed (and stored): the commit phase opens.
    function _proposed(uint256 requestId, TaskState storage t, RoundState storage r, bytes calldata answer) private {
        t.phase = Phase.Commit;
        r.deadline = uint32(block.timestamp + commitWindow);
        emit Proposed(requestId, t.round, msg.sender, answer);
    }

    /// @dev Who signed a ballot (0 for a bad signature, and no seat is held by 0).
    function _signer(uint256 requestId, uint8 round, SignedBallot calldata b, bytes32 answerHash) private view returns (address) {
        return ecrecover(ballotDigest(requestId, round, b.seat, b.commitment, answerHash), b.v, b.r, b.s);
    }
}
