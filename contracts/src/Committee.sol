// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Timelocked} from "./Timelocked.sol";
import {IAgreedSettlement} from "./interfaces/IAgreedSettlement.sol";
import {ICommittee} from "./interfaces/ICommittee.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {PullPayments} from "./PullPayments.sol";

/// @title Committee
/// @notice Agreed mode: answers from models too big to prove, by stake-weighted committee vote.
/// @dev One request goes through rounds. A round has members drawn by stake from the operators
/// of the NodeRegistry that serve the request's model. Members are never drawn in the
/// transaction that asks for them (the request, an appeal): that transaction records the
/// block (phase Drawing), and `draw`, callable by anyone from the next block on, draws from that
/// block's hash, which did not exist while the asking transaction ran. In a proposal round the first member (the leader) proposes an answer, and the
/// others each compute their own answer, decide by the model's equivalence rule whether the
/// leader's answer is equivalent, and vote Agree or Disagree by commit-reveal: they commit
/// `keccak256(abi.encode(requestId, round, member, vote, salt))` and reveal only once every
/// member has committed or the commit phase has ended, so nobody can copy a vote it has not
/// seen. Members may instead sign their commitments (EIP-712 `Ballot`) and give them, then
/// their openings, to the leader, who sends each set in one transaction (`commitSigned`,
/// `revealMany`); a member whose ballot is not sent in time commits on its own. The leader counts as an Agree. More than half the round's members agreeing accepts
/// the answer; an appeal window follows, in which anyone can post a bond and have a fresh,
/// larger committee (7, then 11) vote on the accepted answer. An appeal that a majority of its
/// committee disagrees with overturns the answer, and its committee's leader proposes anew.
/// After the window the answer is final: the Coprocessor pays the fee and calls the consumer.
///
/// Judgement at finality: every round whose subject was the final answer rewards its Agree
/// voters and slashes its Disagree voters `wrongSlash`; every other decided round does the
/// reverse (its leader counts as an Agree). Members that did not commit, and leaders that did
/// not propose, are slashed `noShowSlash` at once; members that committed and did not reveal
/// are slashed `wrongSlash` (hiding a losing vote never costs less than losing). Slashed stake
/// and forfeited bonds (the pot) never go to a party who can cause them, the requester or an
/// appellant: at finality the pot is shared by the winning voters (none: the treasury), and
/// successful appellants get their bond back only; if no answer is accepted after `maxRounds`
/// rounds the requester is refunded its escrow and the pot goes to the treasury. Every phase
/// but Drawing has a deadline and `advance` (callable by anyone) moves an expired phase on;
/// Drawing ends with `draw` (anyone), so no request hangs. Parameters change only through the
/// timelock, within bounds.
contract Committee is Timelocked, ICommittee, PullPayments {
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
        Refunded,
        /// waiting for `draw` (appended: the other phases keep their numbers)
        Drawing
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

    /// @notice A member's sealed vote signed off chain (EIP-712 `Ballot`), for `commitSigned`.
    struct SignedBallot {
        uint8 seat;
        bytes32 commitment;
        /// @dev the seat holder's signature over `ballotDigest(requestId, round, seat, commitment)`
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice An opened vote, for `revealMany`: the commitment's preimage binds the member.
    struct Opening {
        uint8 seat;
        Vote vote;
        bytes32 salt;
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

    /// @dev Packed: everything but the pot in one slot. (The model id and the requester are the
    /// Coprocessor's: `modelOf`, `getRequest`; the committee never pays the requester.)
    struct Task {
        Phase phase;
        uint8 round;
        /// @dev the round whose answer is accepted (valid in Accepted and Finalized)
        uint8 accepted;
        uint8 appeals;
        uint8 committed;
        uint8 revealed;
        uint40 appealUntil;
        /// @dev whether round 0 has been drawn (until then `round` is 0 but no round exists)
        bool started;
        /// @dev Drawing: the block whose hash draws the next round's members
        uint64 drawBlock;
        /// @dev slashed stake and forfeited bonds waiting to be shared at the end
        uint256 pot;
    }

    /// @notice Everything the admin sets (through the timelock, within bounds).
    struct Parameters {
        uint8 committeeSize;
        /// @dev the sizes of the successive appeal committees (one appeal per entry)
        uint8[] appealSizes;
        uint8 maxRounds;
        uint64 proposeWindow;
        uint64 commitWindow;
        uint64 revealWindow;
        uint64 appealWindow;
        /// @dev a member that did not commit, or a leader that did not propose
        uint256 noShowSlash;
        /// @dev a member outvoted at finality, or one that committed and did not reveal
        uint256 wrongSlash;
        /// @dev the first appeal's bond; each further appeal doubles it
        uint256 appealBond;
    }

    /// @notice The EIP-712 domain of signed ballots: name "Verity Committee", version "1", this chain and contract.
    bytes32 public immutable DOMAIN_SEPARATOR;
    INodeRegistry public immutable nodes;
    IModelRegistry public immutable registry;
    /// @notice The Coprocessor: the only caller of `open`, and what settles requests.
    address public coprocessor;

    uint8 internal constant MIN_COMMITTEE = 3;
    /// @dev Bounds on the parameters (`setParameters` lists them; internal, as the contract is at
    /// the code-size limit). 31 seats at most: votes are two bits a seat in a uint64.
    uint8 internal constant MAX_COMMITTEE = 31;
    uint8 internal constant MAX_ROUNDS = 16;
    uint256 internal constant MAX_APPEALS = 4;
    /// @notice Shortest propose, commit and reveal windows (the appeal window may be 1 second).
    uint64 internal constant MIN_PHASE_WINDOW = 5;
    uint64 internal constant MAX_WINDOW = 7 days;
    uint256 internal constant MAX_APPEAL_BOND = 100 ether;
    /// @notice EIP-712 type of a ballot signed off chain (domain: name "Verity Committee", version "1").
    bytes32 public constant BALLOT_TYPEHASH = keccak256("Ballot(uint256 requestId,uint8 round,uint8 seat,bytes32 commitment)");

    uint8 public committeeSize;
    uint8 public maxRounds;
    uint64 public proposeWindow;
    uint64 public commitWindow;
    uint64 public revealWindow;
    uint64 public appealWindow;
    uint256 public noShowSlash;
    uint256 public wrongSlash;
    /// @notice The bond for the first appeal; each further appeal doubles it.
    uint256 public appealBond;
    uint8[] private appealSizes;

    mapping(bytes32 => Rule) private rules;
    mapping(uint256 => Task) private tasks;
    /// @dev by request, then round number (a request has `task.round + 1` rounds once opened)
    mapping(uint256 => mapping(uint256 => Round)) private rounds;
    /// @dev sealed votes by request, then `round << 8 | seat`; cleared when revealed
    mapping(uint256 => mapping(uint256 => bytes32)) private commitments;
    /// @notice Wei held for open requests: appeal bonds and pots.
    uint256 public totalHeld;

    error NotCoprocessor(address caller);
    error CoprocessorAlreadySet(address coprocessor);
    error InvalidParameter(string name, uint256 value);
    error DrawNotReady(uint256 requestId, uint64 drawBlock);
    /// @dev NodeRegistry's error (same selector): fewer than `minimum` operators serve the model.
    error NotEnoughServers(bytes32 modelId, uint256 count, uint256 minimum);
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
    /// @notice `round`'s members will be drawn from the hash of `drawBlock` by `draw`.
    event DrawPending(uint256 indexed requestId, uint8 round, uint64 drawBlock);
    /// @notice The draw block's hash was gone (over 256 blocks): the draw waits for a new block.
    event DrawRearmed(uint256 indexed requestId, uint8 round, uint64 drawBlock);
    /// @notice Too few operators serve the model to draw `round`: a first round refunds the
    /// request, an appeal is dropped (its bond returned) and the answer stands.
    event DrawFailed(uint256 indexed requestId, uint8 round);
    /// @notice A share of the pot was credited: to a winning voter, or to the treasury.
    event PotShared(uint256 indexed requestId, address indexed to, uint256 amount);
    event ParametersChanged(Parameters parameters);
    event CoprocessorChanged(address coprocessor);

    /// @param adminDelay_ seconds between scheduling a parameter change and executing it
    /// @param p the initial parameters (bounded as in `setParameters`)
    constructor(INodeRegistry nodes_, IModelRegistry registry_, address owner_, uint64 adminDelay_, Parameters memory p)
        Ownable(owner_)
        Timelocked(adminDelay_)
    {
        nodes = nodes_;
        registry = registry_;
        DOMAIN_SEPARATOR = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Verity Committee"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
        _setParameters(p);
    }

    // ---------------------------------------------------------------- configuration

    /// @notice Connects the Coprocessor, once, at deployment. Requirements: owner; not connected yet.
    function initCoprocessor(address coprocessor_) external onlyOwner {
        if (coprocessor != address(0)) revert CoprocessorAlreadySet(coprocessor);
        _setCoprocessor(coprocessor_);
    }

    /// @notice Replaces the Coprocessor. Requirements: through the timelock; not zero.
    function setCoprocessor(address coprocessor_) external onlyTimelocked {
        _setCoprocessor(coprocessor_);
    }

    /// @notice Sets committee sizes, phase windows (seconds), slashes and the appeal bond.
    /// Requirements: through the timelock (`scheduleChange`, then `executeChange` after
    /// `adminDelay`); sizes within [MIN_COMMITTEE, MAX_COMMITTEE]; at most MAX_APPEALS appeal
    /// sizes; `1 <= maxRounds <= MAX_ROUNDS`; propose, commit and reveal windows within
    /// [MIN_PHASE_WINDOW, MAX_WINDOW], the appeal window within [1, MAX_WINDOW];
    /// `noShowSlash <= wrongSlash <= nodes.minStake() / 4`; `0 < appealBond <= MAX_APPEAL_BOND`.
    function setParameters(Parameters calldata p) external onlyTimelocked {
        _setParameters(p);
    }

    /// @notice The current parameters.
    function parameters() external view returns (Parameters memory) {
        return Parameters(
            committeeSize,
            appealSizes,
            maxRounds,
            proposeWindow,
            commitWindow,
            revealWindow,
            appealWindow,
            noShowSlash,
            wrongSlash,
            appealBond
        );
    }

    function _setParameters(Parameters memory p) private {
        _checkSize("committeeSize", p.committeeSize);
        if (p.appealSizes.length > MAX_APPEALS) revert InvalidParameter("appealSizes.length", p.appealSizes.length);
        for (uint256 i = 0; i < p.appealSizes.length; i++) _checkSize("appealSizes", p.appealSizes[i]);
        if (p.maxRounds == 0 || p.maxRounds > MAX_ROUNDS) revert InvalidParameter("maxRounds", p.maxRounds);
        _checkWindow("proposeWindow", p.proposeWindow, MIN_PHASE_WINDOW);
        _checkWindow("commitWindow", p.commitWindow, MIN_PHASE_WINDOW);
        _checkWindow("revealWindow", p.revealWindow, MIN_PHASE_WINDOW);
        _checkWindow("appealWindow", p.appealWindow, 1);
        if (p.wrongSlash > nodes.minStake() / 4) revert InvalidParameter("wrongSlash", p.wrongSlash);
        // Otherwise a losing voter would rather not reveal.
        if (p.noShowSlash > p.wrongSlash) revert InvalidParameter("noShowSlash", p.noShowSlash);
        if (p.appealBond == 0 || p.appealBond > MAX_APPEAL_BOND) revert InvalidParameter("appealBond", p.appealBond);
        committeeSize = p.committeeSize;
        appealSizes = p.appealSizes;
        maxRounds = p.maxRounds;
        (proposeWindow, commitWindow, revealWindow, appealWindow) = (p.proposeWindow, p.commitWindow, p.revealWindow, p.appealWindow);
        (noShowSlash, wrongSlash, appealBond) = (p.noShowSlash, p.wrongSlash, p.appealBond);
        emit ParametersChanged(p);
    }

    function _checkSize(string memory name, uint8 size) private pure {
        if (size < MIN_COMMITTEE || size > MAX_COMMITTEE) revert InvalidParameter(name, size);
    }

    function _checkWindow(string memory name, uint64 window, uint64 min) private pure {
        if (window < min || window > MAX_WINDOW) revert InvalidParameter(name, window);
    }

    function _setCoprocessor(address coprocessor_) private {
        if (coprocessor_ == address(0)) revert InvalidParameter("coprocessor", 0);
        coprocessor = coprocessor_;
        emit CoprocessorChanged(coprocessor_);
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

    /// @dev Only the NodeRegistry pays this contract directly (slashed stake).
    receive() external payable {
        if (msg.sender != address(nodes)) revert UnexpectedPayment(msg.sender);
    }

    // ---------------------------------------------------------------- the request's life

    /// @inheritdoc ICommittee
    /// @dev Neither the model nor the requester is kept: the model is read back from the
    /// Coprocessor (`modelOf`) when a draw needs it, and nothing is ever paid to the requester
    /// here (its escrow comes back from the Coprocessor). Requirements: the caller is the Coprocessor.
    function open(uint256 requestId, bytes32, address) external {
        if (msg.sender != coprocessor) revert NotCoprocessor(msg.sender);
        _awaitDraw(requestId, tasks[requestId], 0);
    }

    /// @notice Draws the members of the round waiting for them (the first round, or an appeal
    /// round) from the operators serving the model, by stake, from the hash of the block the
    /// request or appeal was made in. If that hash is gone (over 256 blocks), the draw waits for
    /// the current block instead (`DrawRearmed`). Too few servers: the first round refunds the
    /// request, an appeal is dropped with its bond returned (`DrawFailed`). Anyone may call.
    /// Requirements: the Drawing phase; `block.number > drawBlock`.
    function draw(uint256 requestId) external {
        Task storage t = tasks[requestId];
        if (t.phase != Phase.Drawing) revert WrongPhase(requestId, t.phase);
        uint64 drawBlock = t.drawBlock;
        if (block.number <= drawBlock) revert DrawNotReady(requestId, drawBlock);
        bool isAppeal = t.started;
        uint8 round = isAppeal ? t.round + 1 : 0;
        bytes32 h = blockhash(drawBlock);
        bytes32 modelId = IAgreedSettlement(coprocessor).modelOf(requestId);
        if (h == 0) {
            t.drawBlock = uint64(block.number);
            nodes.markDrawBlock(modelId);
            emit DrawRearmed(requestId, round, uint64(block.number));
            return;
        }
        uint256 seed = uint256(keccak256(abi.encode(h, requestId, round)));
        uint256 size = committeeSize;
        // An appeal takes the size of its place in `appealSizes` (the committee size if a
        // parameter change since the appeal dropped that place).
        if (isAppeal && t.appeals <= appealSizes.length) size = appealSizes[t.appeals - 1];
        // Fresh: members of the round under review are drawn only if too few others serve.
        address[] memory exclude = isAppeal ? rounds[requestId][t.accepted].members : new address[](0);
        try nodes.drawCommitteeAt(modelId, seed, size, MIN_COMMITTEE, exclude, drawBlock) returns (address[] memory members) {
            if (isAppeal) {
                _startRound(requestId, t, round, true, members, t.accepted);
            } else {
                t.started = true;
                _startRound(requestId, t, 0, false, members, 0);
            }
        } catch (bytes memory reason) {
            // Only "too few servers" ends the draw; anything else (out of gas) is passed on.
            if (bytes4(reason) != NotEnoughServers.selector) {
                assembly ("memory-safe") {
                    revert(add(reason, 32), mload(reason))
                }
            }
            emit DrawFailed(requestId, round);
            if (!isAppeal) return _refund(requestId, t);
            Round storage dropped = rounds[requestId][round];
            _credit(dropped.appellant, dropped.bond);
            delete dropped.appellant;
            delete dropped.bond;
            t.appeals--;
            _accept(requestId, t, t.accepted);
        }
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

    /// @notice A member's sealed vote: `keccak256(abi.encode(requestId, round, member, vote, salt))`.
    /// @param seat the caller's index in the round's members (RoundStarted lists them)
    /// Requirements: the Commit phase, before its deadline; the caller holds `seat` and votes in
    /// this round (not the leader of a proposal round); it has not committed. The reveal opens
    /// when every voter has committed.
    function commit(uint256 requestId, uint256 seat, bytes32 commitment) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Commit);
        _checkSeat(requestId, r, seat, msg.sender);
        if (!_commit(requestId, t, seat, commitment)) revert AlreadyCommitted(requestId, msg.sender);
        if (t.committed == _voters(r)) _openReveal(t, r);
    }

    /// @notice Several members' sealed votes in one transaction, each signed off chain by its
    /// seat's holder (EIP-712 `Ballot`, see `ballotDigest`); anyone may send them (a round's
    /// leader collects them). A seat that has already committed (on chain, or in an earlier
    /// batch) is skipped, so a member's own `commit` and a batch never conflict. The signature
    /// binds the request, round, seat, commitment, chain and this contract: it cannot be replayed
    /// elsewhere, and nobody can commit for a member what it did not sign.
    /// Requirements: the Commit phase, before its deadline; each signer holds its seat and votes
    /// in this round (else `NotMember(requestId, signer, seat)`: a signature over another
    /// request, round, seat, commitment, chain or committee recovers another signer); no zero commitment.
    function commitSigned(uint256 requestId, SignedBallot[] calldata ballots) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Commit);
        uint8 round = t.round;
        for (uint256 i = 0; i < ballots.length; i++) {
            SignedBallot calldata b = ballots[i];
            // ecrecover gives 0 for a bad signature, and no seat is held by 0.
            _checkSeat(requestId, r, b.seat, ecrecover(ballotDigest(requestId, round, b.seat, b.commitment), b.v, b.r, b.s));
            _commit(requestId, t, b.seat, b.commitment);
        }
        if (t.committed == _voters(r)) _openReveal(t, r);
    }

    /// @notice Opens a sealed vote. Requirements: the Reveal phase (every voter committed, or
    /// the commit phase ended), before its deadline; the caller holds `seat`; the vote and salt
    /// match its commitment.
    function reveal(uint256 requestId, uint256 seat, Vote vote, bytes32 salt) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Reveal);
        _checkSeat(requestId, r, seat, msg.sender);
        if (!_reveal(requestId, t, r, seat, vote, salt)) revert AlreadyRevealed(requestId, msg.sender);
        if (t.revealed == t.committed) _tally(requestId, t, r);
    }

    /// @notice Opens several sealed votes in one transaction; anyone may send them (a round's
    /// leader collects its members' openings off chain once the reveal has opened): the
    /// commitment's preimage names the member, so only the salt's holder can open it. A seat
    /// already revealed is skipped. The round is decided when every committed vote is open.
    /// Requirements: the Reveal phase, before its deadline; each seat committed, with a vote and
    /// salt that match its commitment.
    function revealMany(uint256 requestId, Opening[] calldata openings) external {
        Task storage t = tasks[requestId];
        Round storage r = _inPhase(requestId, t, Phase.Reveal);
        for (uint256 i = 0; i < openings.length; i++) {
            Opening calldata o = openings[i];
            if (o.seat >= r.members.length) revert NotMember(requestId, msg.sender, o.seat);
            _reveal(requestId, t, r, o.seat, o.vote, o.salt);
        }
        if (t.revealed == t.committed) _tally(requestId, t, r);
    }

    /// @notice Moves an expired phase on: a missing proposal, commits or reveals are slashed and
    /// the request continues; an accepted answer past its appeal window is finalised. Anyone may call.
    /// Requirements: the Propose, Commit, Reveal or Accepted phase; its deadline has passed.
    function advance(uint256 requestId) external {
        Task storage t = tasks[requestId];
        Phase phase = t.phase;
        if (phase == Phase.None || phase == Phase.Finalized || phase == Phase.Refunded || phase == Phase.Drawing) {
            revert WrongPhase(requestId, phase);
        }
        if (phase == Phase.Accepted) {
            if (block.timestamp <= t.appealUntil) revert PhaseNotOver(requestId, t.appealUntil);
            _finalize(requestId, t);
            return;
        }
        Round storage r = rounds[requestId][t.round];
        if (block.timestamp <= r.deadline) revert PhaseNotOver(requestId, r.deadline);
        if (phase == Phase.Propose) {
            _slashNoShow(requestId, t, r.members[0], noShowSlash, "no proposal");
            r.outcome = Outcome.NoProposal;
            emit RoundDecided(requestId, t.round, Outcome.NoProposal, 0, 0);
            _nextProposalRound(requestId, t, r);
        } else if (phase == Phase.Commit) {
            _openReveal(t, r);
        } else {
            _tally(requestId, t, r);
        }
    }

    /// @notice Challenges the accepted answer: a fresh, larger committee votes on it. Its
    /// members are drawn by `draw` from a later block, never in this transaction. A successful
    /// appellant gets its bond back (and nothing more); a failed appeal's bond goes to the pot.
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
        t.appeals++;
        uint8 round = t.round + 1;
        Round storage r = rounds[requestId][round];
        r.appellant = msg.sender;
        r.bond = uint96(msg.value);
        emit Appealed(requestId, round, msg.sender, msg.value);
        nodes.markDrawBlock(IAgreedSettlement(coprocessor).modelOf(requestId));
        _awaitDraw(requestId, t, round);
    }

    // ---------------------------------------------------------------- views

    function commitmentOf(uint256 requestId, uint8 round, address member, Vote vote, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(requestId, round, member, vote, salt));
    }

    /// @notice The EIP-712 digest a member signs for `commitSigned`: its sealed vote for a seat
    /// of a request's round, on this chain and this committee.
    function ballotDigest(uint256 requestId, uint8 round, uint8 seat, bytes32 commitment) public view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", DOMAIN_SEPARATOR, keccak256(abi.encode(BALLOT_TYPEHASH, requestId, round, seat, commitment))));
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

    /// @notice Rounds whose members have been drawn (an appeal waiting for its draw is not counted).
    function roundCount(uint256 requestId) public view returns (uint256) {
        Task storage t = tasks[requestId];
        return t.started ? uint256(t.round) + 1 : 0;
    }

    /// @notice A seat's sealed vote (zero once revealed, or if it never committed) and revealed vote.
    function getBallot(uint256 requestId, uint8 round, uint256 seat) external view returns (bytes32 commitment, Vote vote) {
        commitment = commitments[requestId][(uint256(round) << 8) | seat];
        vote = _voteAt(rounds[requestId][round].votes, seat);
    }

    // ---------------------------------------------------------------- internal

    function _inPhase(uint256 requestId, Task storage t, Phase phase) private view returns (Round storage r) {
        if (t.phase != phase) revert WrongPhase(requestId, t.phase);
        r = rounds[requestId][t.round];
        if (block.timestamp > r.deadline) revert PhaseOver(requestId, r.deadline);
    }

    /// @dev Proposal rounds: every member but the leader (seat 0) votes; appeal rounds: every member.
    function _checkSeat(uint256 requestId, Round storage r, uint256 seat, address member) private view {
        if (seat >= r.members.length || (seat == 0 && !r.appeal) || r.members[seat] != member) {
            revert NotMember(requestId, member, seat);
        }
    }

    /// @dev Stores a seat's sealed vote; false (and nothing stored) if the seat has committed.
    function _commit(uint256 requestId, Task storage t, uint256 seat, bytes32 commitment) private returns (bool) {
        uint8 round = t.round;
        uint256 key = (uint256(round) << 8) | seat;
        if (commitments[requestId][key] != 0) return false;
        if (commitment == 0) revert InvalidVote();
        commitments[requestId][key] = commitment;
        t.committed++;
        emit Committed(requestId, round, rounds[requestId][round].members[seat]);
        return true;
    }

    /// @dev Opens a seat's sealed vote (cleared once open); false (nothing changed) if the seat has revealed.
    function _reveal(uint256 requestId, Task storage t, Round storage r, uint256 seat, Vote vote, bytes32 salt) private returns (bool) {
        uint8 round = t.round;
        uint256 key = (uint256(round) << 8) | seat;
        address member = r.members[seat];
        if (_voteAt(r.votes, seat) != Vote.None) return false;
        bytes32 sealedVote = commitments[requestId][key];
        if (sealedVote == 0) revert NotCommitted(requestId, member);
        if (vote == Vote.None) revert InvalidVote();
        if (sealedVote != commitmentOf(requestId, round, member, vote, salt)) revert CommitmentMismatch(requestId, member);
        delete commitments[requestId][key];
        r.votes |= uint64(uint256(vote) << (2 * seat));
        if (vote == Vote.Agree) r.agrees++;
        else r.disagrees++;
        t.revealed++;
        emit Revealed(requestId, round, member, vote);
        return true;
    }

    function _voteAt(uint64 votes, uint256 seat) private pure returns (Vote) {
        return Vote((votes >> (2 * seat)) & 3);
    }

    function _voters(Round storage r) private view returns (uint8) {
        return uint8(r.appeal ? r.members.length : r.members.length - 1);
    }

    /// @dev Waits for `draw` to draw `round`'s members from this block's hash (the caller has the
    /// NodeRegistry mark this block: the Coprocessor for a request, `appeal` for an appeal).
    function _awaitDraw(uint256 requestId, Task storage t, uint8 round) private {
        t.phase = Phase.Drawing;
        t.drawBlock = uint64(block.number);
        emit DrawPending(requestId, round, uint64(block.number));
    }

    function _startRound(uint256 requestId, Task storage t, uint8 round, bool isAppeal, address[] memory members, uint8 subject)
        private
    {
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
            // Committed and hid its vote: as costly as a wrong vote, so hiding never pays.
            if (commitments[requestId][(uint256(t.round) << 8) | i] != 0) {
                _slashNoShow(requestId, t, r.members[i], wrongSlash, "no reveal");
            } else {
                _slashNoShow(requestId, t, r.members[i], noShowSlash, "no commit");
            }
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
        _startRound(requestId, t, t.round + 1, false, members, 0);
    }

    function _slashNoShow(uint256 requestId, Task storage t, address member, uint256 amount, string memory reason) private {
        _slash(requestId, t, member, amount, reason);
        nodes.recordMissed(member);
    }

    /// @dev Slashes `member` into the request's pot.
    function _slash(uint256 requestId, Task storage t, address member, uint256 amount, string memory reason) private {
        uint256 taken = nodes.slash(member, amount, reason);
        t.pot += taken;
        totalHeld += taken;
        if (taken > 0) emit MemberSlashed(requestId, member, taken, reason);
    }

    /// @dev No answer after every round (or no committee to draw): the requester gets its escrow
    /// back from the Coprocessor, and nothing more; appellants that overturned an answer get
    /// their bond back; the pot (slashes, failed appeals' bonds) goes to the treasury.
    function _refund(uint256 requestId, Task storage t) private {
        t.phase = Phase.Refunded;
        mapping(uint256 => Round) storage rs = rounds[requestId];
        for (uint256 i = 0; i < roundCount(requestId); i++) {
            Round storage r = rs[i];
            if (r.bond == 0) continue;
            if (r.outcome == Outcome.Rejected) _credit(r.appellant, r.bond);
            else t.pot += r.bond;
        }
        _sharePot(requestId, t, new address[](0), 0);
        emit RequestRefunded(requestId);
        IAgreedSettlement(coprocessor).refundAgreed(requestId);
    }

    /// @dev Credits the pot to `winners[0..n)` in equal shares (the rest of the division to the
    /// first), or to the treasury when there are none.
    function _sharePot(uint256 requestId, Task storage t, address[] memory winners, uint256 n) private {
        uint256 pot = t.pot;
        if (pot == 0) return;
        t.pot = 0;
        if (n == 0) {
            address treasury = IAgreedSettlement(coprocessor).treasury();
            _credit(treasury, pot);
            emit PotShared(requestId, treasury, pot);
            return;
        }
        uint256 share = pot / n;
        for (uint256 i = 0; i < n; i++) {
            uint256 amount = i == 0 ? pot - share * (n - 1) : share;
            _credit(winners[i], amount);
            emit PotShared(requestId, winners[i], amount);
        }
    }

    function _credit(address to, uint256 amount) private {
        if (amount == 0) return;
        totalHeld -= amount;
        _owe(to, amount);
    }

    /// @dev The answer is final: judge every decided round against it, share the pot among the
    /// winning voters, and have the Coprocessor pay the fee to the final round's majority and
    /// call the consumer back.
    function _finalize(uint256 requestId, Task storage t) private {
        t.phase = Phase.Finalized;
        uint8 finalRound = t.accepted;
        (address[] memory winners, uint256 nWinners) = _judgeRounds(requestId, t, finalRound);
        _sharePot(requestId, t, winners, nWinners);
        Round storage f = rounds[requestId][finalRound];
        emit Finalized(requestId, finalRound, f.answer);
        IAgreedSettlement(coprocessor).settleAgreed(requestId, f.answer, _majority(f));
    }

    /// @dev Judges every decided round against the final answer: wrong members are slashed into
    /// the pot, right ones listed (once each); appellants who challenged a non-final answer get
    /// their bond back (only), failed appeals' bonds go to the pot.
    function _judgeRounds(uint256 requestId, Task storage t, uint8 finalRound)
        private
        returns (address[] memory winners, uint256 nWinners)
    {
        uint256 count = roundCount(requestId);
        uint256 seats;
        for (uint256 i = 0; i < count; i++) seats += rounds[requestId][i].members.length;
        winners = new address[](seats);
        for (uint256 i = 0; i < count; i++) {
            Round storage r = rounds[requestId][i];
            if (r.appeal) {
                if (r.subject != finalRound) {
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
        _slash(requestId, t, member, wrongSlash, "outvoted");
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
}
