// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ICommittee} from "./interfaces/ICommittee.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {PullPayments} from "./PullPayments.sol";

/// @notice What the committee needs from the Coprocessor: the model of a request, and settlement.
interface IAgreedSettlement {
    function settleAgreed(uint256 requestId, bytes calldata output, address[] calldata payees) external;
    function modelOf(uint256 requestId) external view returns (bytes32);
    function refundAgreed(uint256 requestId) external;
}

/// @title Committee
/// @notice Agreed mode: answers from models too big to prove, by stake-weighted committee vote.
/// @dev One request goes through rounds. A round has members drawn by stake from the
/// NodeRegistry. In a proposal round the first member (the leader) proposes an answer, and the
/// others each compute their own answer, decide by the model's equivalence rule whether the
/// leader's answer is equivalent, and vote Agree or Disagree by commit-reveal: they commit
/// `keccak256(abi.encode(requestId, round, member, vote, salt))` and reveal only once every
/// member has committed or the commit phase has ended, so nobody can copy a vote it has not
/// seen. The leader counts as an Agree. More than half the round's members agreeing accepts
/// the answer; an appeal window follows, in which anyone can post a bond and have a fresh,
/// larger committee (7, then 11) vote on the accepted answer. An appeal that a majority of its
/// committee disagrees with overturns the answer, and its committee's leader proposes anew.
/// After the window the answer is final: the Coprocessor pays the fee and calls the consumer.
///
/// Judgement at finality: every round whose subject was the final answer rewards its Agree
/// voters and slashes its Disagree voters `wrongSlash`; every other decided round does the
/// reverse (its leader counts as an Agree). Members that did not commit or reveal, and leaders
/// that did not propose, are slashed `noShowSlash` at once. Slashed stake and forfeited bonds
/// are shared at finality: successful appellants get their bond back plus half the pot, the
/// rest goes to the winning voters. If no answer is accepted after `maxRounds` rounds, the
/// requester is refunded and gets what no-shows were slashed. Every phase has a deadline and
/// `advance` (callable by anyone) moves an expired phase on, so no request hangs.
contract Committee is Ownable, ICommittee, PullPayments {
    /// @notice How validators decide that the leader's answer is equivalent to their own.
    enum Criterion {
        /// byte-equal after the model's normalisation (trimmed, lower-cased, single spaces)
        Exact,
        /// `abi.encode(int256)` within `tolerance` of each other
        Numeric,
        /// one label of a fixed set (`labels`, checked on chain)
        Label,
        /// each validator's own model judges equivalence (an LLM comparing two answers)
        Comparative
    }

    enum Phase {
        None,
        Propose,
        Commit,
        Reveal,
        Accepted,
        Finalized,
        Refunded
    }

    enum Vote {
        None,
        Agree,
        Disagree
    }

    enum Outcome {
        Open,
        /// a majority agreed with the proposal (or upheld the answer under appeal)
        Accepted,
        /// a majority disagreed (or overturned the answer under appeal)
        Rejected,
        /// no majority either way (too many members missing)
        Undecided,
        /// the leader did not propose in time
        NoProposal
    }

    struct Rule {
        Criterion criterion;
        uint256 tolerance;
        bytes32[] labels;
        string instructions;
    }

    /// @dev Packed: the first six fields share one slot, appellant and bond another.
    struct Round {
        /// @dev appeal rounds review the accepted answer; proposal rounds vote on the leader's answer
        bool appeal;
        Outcome outcome;
        uint8 agrees;
        uint8 disagrees;
        uint40 deadline;
        /// @dev appeal rounds: the round under review
        uint8 subject;
        /// @dev revealed votes, two bits per seat: 1 Agree, 2 Disagree
        uint64 votes;
        address appellant;
        uint96 bond;
        address[] members;
        /// @dev proposal rounds: the leader's answer
        bytes answer;
    }

    /// @dev Packed: everything but the pot in one slot. (The model id is the Coprocessor's: `modelOf`.)
    struct Task {
        Phase phase;
        uint8 round;
        /// @dev the round whose answer is accepted (valid in Accepted and Finalized)
        uint8 accepted;
        uint8 appeals;
        uint8 committed;
        uint8 revealed;
        uint40 appealUntil;
        address requester;
        /// @dev slashed stake and forfeited bonds waiting to be shared at the end
        uint256 pot;
    }

    INodeRegistry public immutable nodes;
    IModelRegistry public immutable registry;
    /// @notice The Coprocessor: the only caller of `open`, and what settles requests.
    address public coprocessor;

    uint8 public committeeSize = 5;
    uint8 public maxRounds = 6;
    uint8 public constant MIN_COMMITTEE = 3;
    uint64 public proposeWindow = 60;
    uint64 public commitWindow = 60;
    uint64 public revealWindow = 60;
    uint64 public appealWindow = 300;
    uint256 public noShowSlash = 0.01 ether;
    uint256 public wrongSlash = 0.05 ether;
    /// @notice The bond for the first appeal; each further appeal doubles it.
    uint256 public appealBond = 0.1 ether;
    uint8[] private appealSizes;

    mapping(bytes32 => Rule) private rules;
    mapping(uint256 => Task) private tasks;
    /// @dev by request, then round number (a request has `task.round + 1` rounds once opened)
    mapping(uint256 => mapping(uint256 => Round)) private rounds;
    /// @dev sealedVote votes by request, then `round << 8 | seat`; cleared when revealed
    mapping(uint256 => mapping(uint256 => bytes32)) private commitments;
    /// @notice Wei held for open requests: appeal bonds and pots.
    uint256 public totalHeld;

    error NotCoprocessor(address caller);
    error InvalidParameters();
    error NotModelOwner(bytes32 modelId, address caller);
    error InvalidRule(bytes32 modelId);
    error WrongPhase(uint256 requestId, Phase phase);
    error NotLeader(uint256 requestId, address caller);
    error NotMember(uint256 requestId, address caller, uint256 seat);
    error AlreadyCommitted(uint256 requestId, address member);
    error NotCommitted(uint256 requestId, address member);
    error AlreadyRevealed(uint256 requestId, address member);
    error CommitmentMismatch(uint256 requestId, address member);
    error InvalidVote();
    error PhaseOver(uint256 requestId, uint64 deadline);
    error PhaseNotOver(uint256 requestId, uint64 deadline);
    error InvalidAnswer(uint256 requestId, string reason);
    error AppealBondTooLow(uint256 required, uint256 paid);
    error NoMoreAppeals(uint256 requestId);
    error UnexpectedPayment(address from);

    /// @dev carries the label texts (the contract keeps only their hashes), for validators to read
    event RuleSet(bytes32 indexed modelId, Criterion criterion, uint256 tolerance, string[] labels, string instructions);
    event RoundStarted(uint256 indexed requestId, uint8 round, bool appeal, address[] members, uint64 deadline);
    event Proposed(uint256 indexed requestId, uint8 round, address indexed leader, bytes answer);
    event Committed(uint256 indexed requestId, uint8 round, address indexed member);
    event Revealed(uint256 indexed requestId, uint8 round, address indexed member, Vote vote);
    event RoundDecided(uint256 indexed requestId, uint8 round, Outcome outcome, uint8 agrees, uint8 disagrees);
    event Accepted(uint256 indexed requestId, uint8 round, bytes answer, uint64 appealUntil);
    event Appealed(uint256 indexed requestId, uint8 round, address indexed appellant, uint256 bond);
    event Finalized(uint256 indexed requestId, uint8 round, bytes answer);
    event RequestRefunded(uint256 indexed requestId);
    event MemberSlashed(uint256 indexed requestId, address indexed member, uint256 amount, string reason);
    event ParametersChanged();

    constructor(INodeRegistry nodes_, IModelRegistry registry_, address owner_) Ownable(owner_) {
        nodes = nodes_;
        registry = registry_;
        appealSizes.push(7);
        appealSizes.push(11);
    }

    // ---------------------------------------------------------------- configuration

    /// @notice Connects the Coprocessor (once per deployment). Requirements: owner.
    function setCoprocessor(address coprocessor_) external onlyOwner {
        coprocessor = coprocessor_;
    }

    /// @notice Sets committee sizes, phase windows (seconds), slashes and the appeal bond.
    /// Requirements: owner; sizes at least 3 and at most 31; windows non-zero.
    function setParameters(
        uint8 committeeSize_,
        uint8[] calldata appealSizes_,
        uint8 maxRounds_,
        uint64[4] calldata windows,
        uint256 noShowSlash_,
        uint256 wrongSlash_,
        uint256 appealBond_
    ) external onlyOwner {
        if (committeeSize_ < MIN_COMMITTEE || committeeSize_ > 31 || maxRounds_ == 0) revert InvalidParameters();
        for (uint256 i = 0; i < appealSizes_.length; i++) {
            if (appealSizes_[i] < MIN_COMMITTEE || appealSizes_[i] > 31) revert InvalidParameters();
        }
        for (uint256 i = 0; i < 4; i++) if (windows[i] == 0) revert InvalidParameters();
        committeeSize = committeeSize_;
        appealSizes = appealSizes_;
        maxRounds = maxRounds_;
        (proposeWindow, commitWindow, revealWindow, appealWindow) = (windows[0], windows[1], windows[2], windows[3]);
        (noShowSlash, wrongSlash, appealBond) = (noShowSlash_, wrongSlash_, appealBond_);
        emit ParametersChanged();
    }

    /// @notice Sets how validators compare answers for an agreed-mode model.
    /// Requirements: the caller owns the model; a Label rule lists at least two labels.
    function setRule(bytes32 modelId, Criterion criterion, uint256 tolerance, string[] calldata labels, string calldata instructions)
        external
    {
        if (registry.getModel(modelId).owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
        if (criterion == Criterion.Label && labels.length < 2) revert InvalidRule(modelId);
        Rule storage r = rules[modelId];
        r.criterion = criterion;
        r.tolerance = tolerance;
        delete r.labels;
        for (uint256 i = 0; i < labels.length; i++) r.labels.push(keccak256(bytes(labels[i])));
        r.instructions = instructions;
        emit RuleSet(modelId, criterion, tolerance, labels, instructions);
    }

    function getRule(bytes32 modelId) external view returns (Rule memory) {
        return rules[modelId];
    }

    function getAppealSizes() external view returns (uint8[] memory) {
        return appealSizes;
    }

    /// @dev Only the NodeRegistry pays this contract directly (slashed stake).
    receive() external payable {
        if (msg.sender != address(nodes)) revert UnexpectedPayment(msg.sender);
    }

    // ---------------------------------------------------------------- the request's life

    /// @inheritdoc ICommittee
    function open(uint256 requestId, address requester) external {
        if (msg.sender != coprocessor) revert NotCoprocessor(msg.sender);
        Task storage t = tasks[requestId];
        t.requester = requester;
        _startRound(requestId, t, false, _draw(requestId, 0, committeeSize, new address[](0)), 0);
    }

    /// @notice The leader's answer. Requirements: the Propose phase, before its deadline; the
    /// caller leads the round; the answer fits the model's rule (a Label rule: one of its labels;
    /// Numeric: 32 bytes, an `int256`).
    function propose(uint256 requestId, bytes calldata answer) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Propose);
        if (msg.sender != r.members[0]) revert NotLeader(requestId, msg.sender);
        _checkAnswer(requestId, IAgreedSettlement(coprocessor).modelOf(requestId), answer);
        r.answer = answer;
        t.phase = Phase.Commit;
        r.deadline = uint40(block.timestamp + commitWindow);
        emit Proposed(requestId, t.round, msg.sender, answer);
    }

    /// @notice A member's sealedVote vote: `keccak256(abi.encode(requestId, round, member, vote, salt))`.
    /// @param seat the caller's index in the round's members (RoundStarted lists them)
    /// Requirements: the Commit phase, before its deadline; the caller holds `seat` and votes in
    /// this round (not the leader of a proposal round); it has not committed. The reveal opens
    /// when every voter has committed.
    function commit(uint256 requestId, uint256 seat, bytes32 commitment) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Commit);
        _checkSeat(requestId, r, seat);
        uint256 key = (uint256(t.round) << 8) | seat;
        if (commitments[requestId][key] != 0) revert AlreadyCommitted(requestId, msg.sender);
        if (commitment == 0) revert InvalidVote();
        commitments[requestId][key] = commitment;
        emit Committed(requestId, t.round, msg.sender);
        if (++t.committed == _voters(r)) _openReveal(t, r);
    }

    /// @notice Opens a sealedVote vote. Requirements: the Reveal phase (every voter committed, or
    /// the commit phase ended), before its deadline; the caller holds `seat`; the vote and salt
    /// match its commitment.
    function reveal(uint256 requestId, uint256 seat, Vote vote, bytes32 salt) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Reveal);
        _checkSeat(requestId, r, seat);
        uint8 round = t.round;
        uint256 key = (uint256(round) << 8) | seat;
        bytes32 sealedVote = commitments[requestId][key];
        if (_voteAt(r.votes, seat) != Vote.None) revert AlreadyRevealed(requestId, msg.sender);
        if (sealedVote == 0) revert NotCommitted(requestId, msg.sender);
        if (vote == Vote.None) revert InvalidVote();
        if (sealedVote != commitmentOf(requestId, round, msg.sender, vote, salt)) revert CommitmentMismatch(requestId, msg.sender);
        delete commitments[requestId][key];
        r.votes |= uint64(uint256(vote) << (2 * seat));
        if (vote == Vote.Agree) r.agrees++;
        else r.disagrees++;
        emit Revealed(requestId, round, msg.sender, vote);
        if (++t.revealed == t.committed) _tally(requestId, t, r);
    }

    /// @notice Moves an expired phase on: a missing proposal, commits or reveals are slashed and
    /// the request continues; an accepted answer past its appeal window is finalised. Anyone may call.
    /// Requirements: the current phase's deadline has passed.
    function advance(uint256 requestId) external {
        Task storage t = tasks[requestId];
        Phase phase = t.phase;
        if (phase == Phase.None || phase == Phase.Finalized || phase == Phase.Refunded) revert WrongPhase(requestId, phase);
        if (phase == Phase.Accepted) {
            if (block.timestamp <= t.appealUntil) revert PhaseNotOver(requestId, t.appealUntil);
            _finalize(requestId, t);
            return;
        }
        Round storage r = rounds[requestId][t.round];
        if (block.timestamp <= r.deadline) revert PhaseNotOver(requestId, r.deadline);
        if (phase == Phase.Propose) {
            _slashNoShow(requestId, t, r.members[0], "no proposal");
            r.outcome = Outcome.NoProposal;
            emit RoundDecided(requestId, t.round, Outcome.NoProposal, 0, 0);
            _nextProposalRound(requestId, t, r);
        } else if (phase == Phase.Commit) {
            _openReveal(t, r);
        } else {
            _tally(requestId, t, r);
        }
    }

    /// @notice Challenges the accepted answer: a fresh, larger committee votes on it.
    /// Requirements: the Accepted phase, within the appeal window; appeals remain;
    /// `msg.value >= appealBondFor(requestId)`.
    function appeal(uint256 requestId) external payable {
        Task storage t = tasks[requestId];
        if (t.phase != Phase.Accepted) revert WrongPhase(requestId, t.phase);
        if (block.timestamp > t.appealUntil) revert PhaseOver(requestId, t.appealUntil);
        if (t.appeals >= appealSizes.length) revert NoMoreAppeals(requestId);
        uint256 bond = appealBondFor(requestId);
        if (msg.value < bond || msg.value > type(uint96).max) revert AppealBondTooLow(bond, msg.value);
        totalHeld += msg.value;
        uint8 size = appealSizes[t.appeals++];
        // Fresh: members of the round under review are drawn only if too few others are active.
        address[] memory members = _draw(requestId, t.round + 1, size, rounds[requestId][t.accepted].members);
        _startRound(requestId, t, true, members, t.accepted);
        Round storage r = rounds[requestId][t.round];
        r.appellant = msg.sender;
        r.bond = uint96(msg.value);
        emit Appealed(requestId, t.round, msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- views

    function commitmentOf(uint256 requestId, uint8 round, address member, Vote vote, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(requestId, round, member, vote, salt));
    }

    function appealBondFor(uint256 requestId) public view returns (uint256) {
        return appealBond << tasks[requestId].appeals;
    }

    function getTask(uint256 requestId) external view returns (Task memory) {
        return tasks[requestId];
    }

    function getRound(uint256 requestId, uint8 round) external view returns (Round memory) {
        return rounds[requestId][round];
    }

    function roundCount(uint256 requestId) public view returns (uint256) {
        Task storage t = tasks[requestId];
        return t.phase == Phase.None ? 0 : uint256(t.round) + 1;
    }

    /// @notice A seat's sealedVote vote (zero once revealed, or if it never committed) and revealed vote.
    function getBallot(uint256 requestId, uint8 round, uint256 seat) external view returns (bytes32 commitment, Vote vote) {
        commitment = commitments[requestId][(uint256(round) << 8) | seat];
        vote = _voteAt(rounds[requestId][round].votes, seat);
    }

    /// @notice The answer and whether it is accepted (may still be appealed) or final.
    function resultOf(uint256 requestId) external view returns (Phase phase, bytes memory answer) {
        Task storage t = tasks[requestId];
        phase = t.phase;
        if (phase == Phase.Accepted || phase == Phase.Finalized) answer = rounds[requestId][t.accepted].answer;
    }

    // ---------------------------------------------------------------- internal

    function _inPhase(uint256 requestId, Task storage t, Phase phase) private view returns (Round storage r) {
        if (t.phase != phase) revert WrongPhase(requestId, t.phase);
        r = rounds[requestId][t.round];
        if (block.timestamp > r.deadline) revert PhaseOver(requestId, r.deadline);
    }

    /// @dev Proposal rounds: every member but the leader (seat 0) votes; appeal rounds: every member.
    function _checkSeat(uint256 requestId, Round storage r, uint256 seat) private view {
        if (seat >= r.members.length || (seat == 0 && !r.appeal) || r.members[seat] != msg.sender) {
            revert NotMember(requestId, msg.sender, seat);
        }
    }

    function _voteAt(uint64 votes, uint256 seat) private pure returns (Vote) {
        return Vote((votes >> (2 * seat)) & 3);
    }

    function _voters(Round storage r) private view returns (uint8) {
        return uint8(r.appeal ? r.members.length : r.members.length - 1);
    }

    function _startRound(uint256 requestId, Task storage t, bool isAppeal, address[] memory members, uint8 subject) private {
        uint8 round = t.phase == Phase.None ? 0 : t.round + 1;
        Round storage r = rounds[requestId][round];
        t.round = round;
        r.members = members;
        r.appeal = isAppeal;
        r.subject = subject;
        t.committed = 0;
        t.revealed = 0;
        if (isAppeal) {
            t.phase = Phase.Commit;
            r.deadline = uint40(block.timestamp + commitWindow);
        } else {
            t.phase = Phase.Propose;
            r.deadline = uint40(block.timestamp + proposeWindow);
        }
        emit RoundStarted(requestId, t.round, isAppeal, members, r.deadline);
    }

    function _openReveal(Task storage t, Round storage r) private {
        t.phase = Phase.Reveal;
        r.deadline = uint40(block.timestamp + revealWindow);
    }

    /// @dev Decides a round once every committed vote is revealed or the reveal phase ended.
    function _tally(uint256 requestId, Task storage t, Round storage r) private {
        uint64 votes = r.votes;
        for (uint256 i = r.appeal ? 0 : 1; i < r.members.length; i++) {
            if (_voteAt(votes, i) != Vote.None) continue;
            bool sealedVote = commitments[requestId][(uint256(t.round) << 8) | i] != 0;
            _slashNoShow(requestId, t, r.members[i], sealedVote ? "no reveal" : "no commit");
        }
        uint256 n = r.members.length;
        uint256 agrees = r.agrees + (r.appeal ? 0 : 1);
        if (agrees * 2 > n) r.outcome = Outcome.Accepted;
        else if (uint256(r.disagrees) * 2 > n) r.outcome = Outcome.Rejected;
        else r.outcome = Outcome.Undecided;
        emit RoundDecided(requestId, t.round, r.outcome, uint8(agrees), r.disagrees);

        if (!r.appeal) {
            if (r.outcome == Outcome.Accepted) {
                _accept(requestId, t, t.round);
            } else {
                _nextProposalRound(requestId, t, r);
            }
        } else if (r.outcome == Outcome.Rejected) {
            // Overturned: this committee's leader proposes anew.
            _startOrRefund(requestId, t, r.members);
        } else {
            // Upheld (or no majority to overturn): the answer stands; a new appeal window opens.
            _accept(requestId, t, t.accepted);
        }
    }

    function _accept(uint256 requestId, Task storage t, uint8 round) private {
        t.accepted = round;
        t.phase = Phase.Accepted;
        t.appealUntil = uint40(block.timestamp + appealWindow);
        emit Accepted(requestId, round, rounds[requestId][round].answer, t.appealUntil);
    }

    /// @dev A proposal round failed: the same committee goes on with the next member leading.
    function _nextProposalRound(uint256 requestId, Task storage t, Round storage r) private {
        uint256 n = r.members.length;
        address[] memory rotated = new address[](n);
        for (uint256 i = 0; i < n; i++) rotated[i] = r.members[(i + 1) % n];
        _startOrRefund(requestId, t, rotated);
    }

    function _startOrRefund(uint256 requestId, Task storage t, address[] memory members) private {
        if (roundCount(requestId) >= uint256(maxRounds) + t.appeals) {
            _refund(requestId, t);
            return;
        }
        _startRound(requestId, t, false, members, 0);
    }

    function _slashNoShow(uint256 requestId, Task storage t, address member, string memory reason) private {
        uint256 taken = nodes.slash(member, noShowSlash, reason);
        nodes.recordMissed(member);
        t.pot += taken;
        totalHeld += taken;
        if (taken > 0) emit MemberSlashed(requestId, member, taken, reason);
    }

    /// @dev No answer after every round: the requester gets the escrow back (from the
    /// Coprocessor) and the pot (no-show slashes); appeal bonds go back to their appellants.
    function _refund(uint256 requestId, Task storage t) private {
        t.phase = Phase.Refunded;
        mapping(uint256 => Round) storage rs = rounds[requestId];
        for (uint256 i = 0; i < roundCount(requestId); i++) {
            if (rs[i].bond > 0) _credit(rs[i].appellant, rs[i].bond);
        }
        _credit(t.requester, t.pot);
        t.pot = 0;
        emit RequestRefunded(requestId);
        IAgreedSettlement(coprocessor).refundAgreed(requestId);
    }

    function _credit(address to, uint256 amount) private {
        if (amount == 0) return;
        totalHeld -= amount;
        _owe(to, amount);
    }

    /// @dev The answer is final: judge every decided round against it, share the pot, and have
    /// the Coprocessor pay the fee to the final round's majority and call the consumer back.
    function _finalize(uint256 requestId, Task storage t) private {
        t.phase = Phase.Finalized;
        uint8 finalRound = t.accepted;
        (address[] memory winners, uint256 nWinners, address[] memory appellants, uint256 nAppellants) = _judgeRounds(requestId, t, finalRound);
        uint256 pot = t.pot;
        t.pot = 0;
        if (nAppellants > 0 && pot > 0) {
            uint256 share = pot / 2 / nAppellants;
            for (uint256 i = 0; i < nAppellants; i++) _credit(appellants[i], share);
            pot -= share * nAppellants;
        }
        if (pot > 0) {
            uint256 share = pot / nWinners;
            for (uint256 i = 0; i < nWinners; i++) _credit(winners[i], share);
            _credit(winners[0], pot - share * nWinners);
        }
        Round storage f = rounds[requestId][finalRound];
        emit Finalized(requestId, finalRound, f.answer);
        IAgreedSettlement(coprocessor).settleAgreed(requestId, f.answer, _majority(f));
    }

    /// @dev Judges every decided round against the final answer: wrong members are slashed into
    /// the pot, right ones listed (once each); appellants who challenged a non-final answer get
    /// their bond back and are listed, failed appeals' bonds go to the pot.
    function _judgeRounds(uint256 requestId, Task storage t, uint8 finalRound)
        private
        returns (address[] memory winners, uint256 nWinners, address[] memory appellants, uint256 nAppellants)
    {
        uint256 count = roundCount(requestId);
        uint256 seats;
        for (uint256 i = 0; i < count; i++) seats += rounds[requestId][i].members.length;
        winners = new address[](seats);
        appellants = new address[](count);
        for (uint256 i = 0; i < count; i++) {
            Round storage r = rounds[requestId][i];
            if (r.appeal) {
                if (r.subject != finalRound) {
                    appellants[nAppellants++] = r.appellant;
                    _credit(r.appellant, r.bond);
                } else {
                    t.pot += r.bond;
                }
            }
            if (r.outcome != Outcome.Accepted && r.outcome != Outcome.Rejected) continue;
            bool truth = r.appeal ? r.subject == finalRound : i == finalRound;
            // In a proposal round the leader stands with its answer.
            if (!r.appeal) nWinners = _judge(requestId, t, r.members[0], truth, winners, nWinners);
            for (uint256 m = r.appeal ? 0 : 1; m < r.members.length; m++) {
                Vote v = _voteAt(r.votes, m);
                if (v == Vote.None) continue;
                nWinners = _judge(requestId, t, r.members[m], (v == Vote.Agree) == truth, winners, nWinners);
            }
        }
    }

    /// @dev The final round's leader and the members that agreed with it.
    function _majority(Round storage f) private view returns (address[] memory payees) {
        payees = new address[](f.agrees + 1);
        payees[0] = f.members[0];
        uint256 k = 1;
        uint64 votes = f.votes;
        for (uint256 m = 1; m < f.members.length; m++) {
            if (_voteAt(votes, m) == Vote.Agree) payees[k++] = f.members[m];
        }
    }

    /// @dev A right member joins the winners (once); a wrong one is slashed into the pot.
    function _judge(uint256 requestId, Task storage t, address member, bool right, address[] memory winners, uint256 n)
        private
        returns (uint256)
    {
        if (right) {
            for (uint256 i = 0; i < n; i++) if (winners[i] == member) return n;
            winners[n] = member;
            return n + 1;
        }
        uint256 taken = nodes.slash(member, wrongSlash, "outvoted");
        t.pot += taken;
        totalHeld += taken;
        if (taken > 0) emit MemberSlashed(requestId, member, taken, "outvoted");
        return n;
    }

    function _checkAnswer(uint256 requestId, bytes32 modelId, bytes calldata answer) private view {
        if (answer.length == 0 || answer.length > 4096) revert InvalidAnswer(requestId, "empty or over 4096 bytes");
        Rule storage rule = rules[modelId];
        if (rule.criterion == Criterion.Numeric && answer.length != 32) revert InvalidAnswer(requestId, "numeric answers are abi.encode(int256)");
        if (rule.criterion == Criterion.Label) {
            bytes32 h = keccak256(answer);
            for (uint256 i = 0; i < rule.labels.length; i++) if (rule.labels[i] == h) return;
            revert InvalidAnswer(requestId, "not one of the model's labels");
        }
    }

    /// @dev `size` distinct active operators drawn by stake (NodeRegistry.drawCommittee), avoiding
    /// `exclude` while enough others are active. Reverts when fewer than MIN_COMMITTEE are active.
    function _draw(uint256 requestId, uint256 round, uint256 size, address[] memory exclude)
        private
        view
        returns (address[] memory)
    {
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), requestId, round)));
        return nodes.drawCommittee(IAgreedSettlement(coprocessor).modelOf(requestId), seed, size, MIN_COMMITTEE, exclude);
    }
}
