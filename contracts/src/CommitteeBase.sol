// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Timelocked} from "./Timelocked.sol";
import {IAgreedSettlement} from "./interfaces/IAgreedSettlement.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {PullPayments} from "./PullPayments.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title CommitteeBase
/// @notice The Committee's types, storage, events, errors and the steps its rounds share. Two
/// contracts inherit it with the same storage: `Committee` (the address everyone uses:
/// configuration, views, `open`) and `CommitteeRounds`, which holds the code of the round's
/// transactions and which the Committee runs on its own storage (delegatecall), so the two
/// together fit where one would pass the contract-size limit. See `Committee` for the protocol.
abstract contract CommitteeBase is Timelocked, PullPayments {
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

    /// @notice A round as `getRound` shows it (see `RoundState` for what is stored). The members
    /// are the code of a contract made for the round (`_storeMembers`: a zero byte, 20 bytes a
    /// seat, then, when `proposeSigned` drew the round, the hash of its signed batch and the
    /// answer), at an address derived from the round's storage slot, so they cost no slot.
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
        /// @dev the seats that committed (on chain or signed), one bit a seat
        uint32 committedSeats;
        /// @dev the number of members
        uint8 size;
        /// @dev the answer is in the members' code (else in `answer`)
        bool answerInCode;
        /// @dev the signed batch's hash is in the members' code (else in `sealedBatch`)
        bool batchInCode;
        address appellant;
        uint96 bond;
        address[] members;
        /// @dev `keccak256(abi.encode(bytes32[] commitments))`, by seat (zero: not in it), of the
        /// ballots `proposeSigned` committed (zero: none); `revealMany` is given them back
        bytes32 sealedBatch;
        /// @dev proposal rounds: the leader's answer
        bytes answer;
    }

    /// @dev A round in storage. Its first slot: the request's `TaskState` in the first 72 bits
    /// for round 0 (which lives at the task's slot, `_round`: a request's first round adds no
    /// slot), zero for the others; then the round's fields. `members` stays empty (the code
    /// holds them), `sealedBatch` and `answer` are written only when not in the code.
    struct RoundState {
        uint72 task;
        bool appeal;
        Outcome outcome;
        uint8 agrees;
        uint8 disagrees;
        /// @dev the phase's deadline (seconds, uint32: until 2106); while the round waits for
        /// its draw, the block whose hash will draw it
        uint32 deadline;
        uint8 subject;
        uint64 votes;
        uint32 committedSeats;
        uint8 size;
        /// @dev bit 0: the answer is in the members' code; bit 1: the signed batch's hash is
        uint8 inCode;
        address appellant;
        uint96 bond;
        address[] members;
        bytes32 sealedBatch;
        bytes answer;
    }

    /// @notice A request's task as `getTask` shows it. (The model id and the requester are the
    /// Coprocessor's: `modelOf`, `getRequest`; the committee never pays the requester.)
    struct Task {
        Phase phase;
        uint8 round;
        /// @dev the round whose answer is accepted (valid in Accepted and Finalized)
        uint8 accepted;
        uint8 appeals;
        /// @dev the current round's committed and revealed votes
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

    /// @dev What a request stores of its task: 72 bits of the slot round 0's fields share (see
    /// `RoundState`), so the request, its first round and its votes write one slot. What `Task`
    /// adds is derived: the commit and reveal counts from the round's seat bits and tallies,
    /// `started` from round 0's size, the draw block from the waiting round's `deadline`; the pot
    /// has a slot of its own (`pots`), written only when stake is slashed or a bond forfeited.
    struct TaskState {
        Phase phase;
        uint8 round;
        uint8 accepted;
        uint8 appeals;
        /// @dev seconds (uint32: until 2106)
        uint32 appealUntil;
        /// @dev something was put in the pot (a request nobody was slashed in never reads `pots`)
        bool hasPot;
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
    /// @dev Where the code of a round's members waits in transient storage while its contract is
    /// made: the length, then the words. The contract's constructor (`ROUND_CODE_INIT`: call
    /// `roundCode()` on its creator, return what it returns) is the same for every round, so its
    /// address follows from the salt (the round's storage slot) alone.
    /// keccak256("verity.committee.roundCode")
    uint256 internal constant ROUND_CODE_SLOT = 0xbf510b51d9fdddbaaa95b3a4dfcfa12b333dc4689a595126b0eabc11f710647e;
    /// @dev PUSH4 roundCode.selector, PUSH1 0xe0, SHL, PUSH0, MSTORE; STATICCALL(gas, caller, 0, 4, 0, 0); POP;
    /// RETURNDATACOPY(0, 0, returndatasize); RETURN(0, returndatasize)
    bytes internal constant ROUND_CODE_INIT = hex"638588320660e01b5f525f5f60045f335afa503d5f5f3e3d5ff3";
    bytes32 internal constant ROUND_CODE_INIT_HASH = keccak256(ROUND_CODE_INIT);
    /// @notice In `revealMany`'s batch: the entry of a seat opened in the same call, taken from
    /// its opening (31 zero bytes of calldata instead of the commitment's 32 bytes).
    bytes32 public constant OPENED = bytes32(uint256(1));
    /// @notice EIP-712 type of a ballot signed off chain (domain: name "Verity Committee", version "1").
    /// `answer` is the keccak256 of the answer voted on (the proposal, or the answer under appeal),
    /// so a leader cannot show its members one answer and propose another.
    bytes32 public constant BALLOT_TYPEHASH =
        keccak256("Ballot(uint256 requestId,uint8 round,uint8 seat,bytes32 commitment,bytes32 answer)");

    uint8 public committeeSize;
    uint8 public maxRounds;
    /// @dev The windows a first round's proposal reads (each at most MAX_WINDOW, under 2^24
    /// seconds) share the slot of `coprocessor` and the sizes: one slot read, not two.
    uint24 public proposeWindow;
    uint24 public commitWindow;
    uint24 public revealWindow;
    uint64 public appealWindow;
    uint256 public noShowSlash;
    uint256 public wrongSlash;
    /// @notice The bond for the first appeal; each further appeal doubles it.
    uint256 public appealBond;
    uint8[] internal appealSizes;

    mapping(bytes32 => Rule) internal rules;
    /// @dev A Label rule's labels by their hash (`rules[..].labels` as a set): an answer's check
    /// reads one slot, not the list.
    mapping(bytes32 => mapping(bytes32 => bool)) internal isLabel;
    mapping(uint256 => TaskState) internal tasks;
    /// @dev by request, then round number from 1 (a request has `task.round + 1` rounds once
    /// opened; round 0 is at its task's slot: `_round`)
    mapping(uint256 => mapping(uint256 => RoundState)) internal rounds;
    /// @dev slashed stake and forfeited bonds of a request, shared at its end
    mapping(uint256 => uint256) internal pots;
    /// @dev sealed votes by request, then `round << 8 | seat`; cleared when revealed
    mapping(uint256 => mapping(uint256 => bytes32)) internal commitments;
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
    /// @notice `revealMany` was given commitments that are not the round's signed batch.
    error BatchMismatch(uint256 requestId);

    /// @dev carries the label texts (the contract keeps only their hashes), for validators to read
    event RuleSet(bytes32 indexed modelId, Criterion criterion, uint256 tolerance, string[] labels, string instructions);
    event RoundStarted(uint256 indexed requestId, uint8 round, bool appeal, address[] members, uint64 deadline);
    event Proposed(uint256 indexed requestId, uint8 round, address indexed leader, bytes answer);
    event Committed(uint256 indexed requestId, uint8 round, address indexed member);
    /// @notice The sealed votes `proposeSigned` committed, by seat (zero: a seat not in it); the
    /// round keeps only their hash, so a reveal of one of them passes them back (`revealMany`).
    event BallotsSealed(uint256 indexed requestId, uint8 round, bytes32[] commitments);
    event Revealed(uint256 indexed requestId, uint8 round, address indexed member, Vote vote);
    /// @notice `revealMany` opened votes: the round's votes so far, two bits a seat (1 Agree,
    /// 2 Disagree, 0 not revealed), in seat order of `RoundStarted`'s members.
    event VotesRevealed(uint256 indexed requestId, uint8 round, uint64 votes);
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

    constructor(INodeRegistry nodes_, IModelRegistry registry_, bytes32 domainSeparator_) {
        nodes = nodes_;
        registry = registry_;
        DOMAIN_SEPARATOR = domainSeparator_;
    }

    // ---------------------------------------------------------------- internal

    function roundCount(uint256 requestId) public view returns (uint256) {
        return _started(requestId) ? uint256(tasks[requestId].round) + 1 : 0;
    }

    /// @dev Round `i` of a request: round 0 at its task's slot (sharing it), the others in `rounds`.
    function _round(uint256 requestId, uint256 i) internal view returns (RoundState storage r) {
        if (i != 0) return rounds[requestId][i];
        TaskState storage t = tasks[requestId];
        assembly ("memory-safe") {
            r.slot := t.slot
        }
    }

    /// @dev Whether round 0 has been drawn (its members are set once, when it starts).
    function _started(uint256 requestId) internal view returns (bool) {
        return _round(requestId, 0).size != 0;
    }

    /// @dev The round that waits for its draw (in the Drawing phase): round 0, or the appeal
    /// after the current round. Its `deadline` holds the draw block until it is drawn.
    function _waiting(uint256 requestId, TaskState storage t) internal view returns (RoundState storage) {
        return _started(requestId) ? _round(requestId, uint256(t.round) + 1) : _round(requestId, 0);
    }

    /// @dev The votes committed and revealed in a round (what `Task` shows for the current one).
    function _committedCount(RoundState storage r) internal view returns (uint256 n) {
        for (uint256 seats = r.committedSeats; seats != 0; seats &= seats - 1) n++;
    }

    function _revealedCount(RoundState storage r) internal view returns (uint256) {
        return uint256(r.agrees) + r.disagrees;
    }

    function _inPhase(uint256 requestId, TaskState storage t, Phase phase) internal view returns (RoundState storage r) {
        if (t.phase != phase) revert WrongPhase(requestId, t.phase);
        r = _round(requestId, t.round);
        if (block.timestamp > r.deadline) revert PhaseOver(requestId, r.deadline);
    }

    /// @dev Proposal rounds: every member but the leader (seat 0) votes; appeal rounds: every member.
    function _checkSeat(uint256 requestId, RoundState storage r, uint256 seat, address member) internal view {
        if (seat >= r.size || (seat == 0 && !r.appeal) || _member(r, seat) != member) {
            revert NotMember(requestId, member, seat);
        }
    }

    /// @dev Writes a round's members (then `batch`, unless zero, and `answer`, unless empty) as
    /// the code of a new contract (a zero byte first, so calling it does nothing), at `_codeAt(r)`.
    function _storeMembers(RoundState storage r, address[] memory members, bytes32 batch, bytes memory answer) internal {
        uint256 n = members.length;
        uint256 batchBytes = batch == 0 ? 0 : 32;
        uint256 size = 1 + n * 20 + batchBytes + answer.length;
        bytes memory code = new bytes(size + 32);
        assembly ("memory-safe") {
            let q := add(code, 33)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(q, mul(i, 20)), shl(96, mload(add(add(members, 32), mul(i, 32)))))
            }
            q := add(q, mul(n, 20))
            if batchBytes { mstore(q, batch) }
            mcopy(add(q, batchBytes), add(answer, 32), mload(answer))
            tstore(ROUND_CODE_SLOT, size)
            for { let i := 0 } lt(mul(i, 32), size) { i := add(i, 1) } {
                tstore(add(ROUND_CODE_SLOT, add(i, 1)), mload(add(add(code, 32), mul(i, 32))))
            }
        }
        bytes memory init = ROUND_CODE_INIT;
        address at;
        assembly ("memory-safe") {
            at := create2(0, add(init, 32), mload(init), r.slot)
        }
        if (at == address(0)) revert InvalidParameter("members", n);
        r.size = uint8(n);
        r.inCode = (answer.length != 0 ? 1 : 0) | (batch != 0 ? 2 : 0);
    }

    /// @dev The contract holding a round's members.
    function _codeAt(RoundState storage r) internal view returns (address) {
        uint256 salt;
        assembly ("memory-safe") {
            salt := r.slot
        }
        return address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", address(this), salt, ROUND_CODE_INIT_HASH)))));
    }

    /// @dev The members of a round.
    function _members(RoundState storage r) internal view returns (address[] memory members) {
        uint256 n = r.size;
        address at = _codeAt(r);
        members = new address[](n);
        bytes memory raw = new bytes(n * 20 + 32);
        assembly ("memory-safe") {
            extcodecopy(at, add(raw, 32), 1, mul(n, 20))
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(add(members, 32), mul(i, 32)), shr(96, mload(add(add(raw, 32), mul(i, 20)))))
            }
        }
    }

    /// @dev One seat's member.
    function _member(RoundState storage r, uint256 seat) internal view returns (address m) {
        address at = _codeAt(r);
        assembly ("memory-safe") {
            mstore(0, 0)
            extcodecopy(at, 12, add(1, mul(seat, 20)), 20)
            m := mload(0)
        }
    }

    /// @dev A proposal round's answer (empty before the proposal).
    function _answer(RoundState storage r) internal view returns (bytes memory answer) {
        if (r.inCode & 1 == 0) return r.answer;
        address at = _codeAt(r);
        uint256 from = 1 + uint256(r.size) * 20 + (r.inCode & 2 != 0 ? 32 : 0);
        answer = new bytes(at.code.length - from);
        assembly ("memory-safe") {
            extcodecopy(at, add(answer, 32), from, mload(answer))
        }
    }

    /// @dev The hash of the round's signed batch (zero: none).
    function _sealedBatch(RoundState storage r) internal view returns (bytes32 batch) {
        if (r.inCode & 2 == 0) return r.sealedBatch;
        address at = _codeAt(r);
        uint256 from = 1 + uint256(r.size) * 20;
        assembly ("memory-safe") {
            extcodecopy(at, 0, from, 32)
            batch := mload(0)
        }
    }

    /// @dev Stores a seat's sealed vote; false (and nothing stored) if the seat has committed.
    function _commit(uint256 requestId, TaskState storage t, RoundState storage r, uint256 seat, bytes32 commitment) internal returns (bool) {
        if (commitment == 0) revert InvalidVote();
        if (r.committedSeats & (1 << seat) != 0) return false;
        commitments[requestId][(uint256(t.round) << 8) | seat] = commitment;
        _countCommit(requestId, t, r, seat);
        return true;
    }

    function _countCommit(uint256 requestId, TaskState storage t, RoundState storage r, uint256 seat) internal {
        r.committedSeats |= uint32(1 << seat);
        emit Committed(requestId, t.round, _member(r, seat));
    }

    /// @dev Opens a seat's sealed vote committed on chain (`reveal`); false (nothing changed) if
    /// the seat has revealed.
    function _reveal(uint256 requestId, TaskState storage t, RoundState storage r, uint256 seat, Vote vote, bytes32 salt) internal returns (bool) {
        if (_voteAt(r.votes, seat) != Vote.None) return false;
        uint8 round = t.round;
        address member = _member(r, seat);
        _checkOpening(requestId, round, seat, member, vote, salt, 0);
        r.votes |= uint64(uint256(vote) << (2 * seat));
        if (vote == Vote.Agree) r.agrees++;
        else r.disagrees++;
        emit Revealed(requestId, round, member, vote);
        return true;
    }

    /// @dev Checks an opening against the seat's sealed vote: `batched`, its commitment in the
    /// signed batch (which the caller checked against the round; zero: none), or else the one
    /// committed on chain, then cleared.
    function _checkOpening(uint256 requestId, uint8 round, uint256 seat, address member, Vote vote, bytes32 salt, bytes32 batched)
        internal
    {
        // A seat of the signed batch has no slot of its own.
        bytes32 sealedVote = batched;
        if (sealedVote == 0) {
            uint256 key = (uint256(round) << 8) | seat;
            sealedVote = commitments[requestId][key];
            if (sealedVote != 0) delete commitments[requestId][key];
        }
        if (sealedVote == 0) revert NotCommitted(requestId, member);
        if (vote == Vote.None) revert InvalidVote();
        if (sealedVote != commitmentOf(requestId, round, member, vote, salt)) revert CommitmentMismatch(requestId, member);
    }

    /// @notice The EIP-712 digest a member signs for `commitSigned` or `proposeSigned`: its
    /// sealed vote for a seat of a request's round on the answer whose keccak256 is `answer`, on
    /// this chain and this committee.
    function ballotDigest(uint256 requestId, uint8 round, uint8 seat, bytes32 commitment, bytes32 answer) public view returns (bytes32) {
        return keccak256(
            abi.encodePacked(hex"1901", DOMAIN_SEPARATOR, keccak256(abi.encode(BALLOT_TYPEHASH, requestId, round, seat, commitment, answer)))
        );
    }

    /// @dev What a draw of the round waiting for one draws with: the seed (from the draw block's
    /// hash), the size, and the members set aside (an appeal's: those of the round under review).
    function _drawArgs(uint256 requestId, TaskState storage t, uint64 drawBlock)
        internal
        view
        returns (uint256 seed, uint256 size, address[] memory exclude)
    {
        bool isAppeal = _started(requestId);
        uint8 round = isAppeal ? t.round + 1 : 0;
        seed = uint256(keccak256(abi.encode(blockhash(drawBlock), requestId, round)));
        size = committeeSize;
        // An appeal takes the size of its place in `appealSizes` (the committee size if a
        // parameter change since the appeal dropped that place).
        if (isAppeal && t.appeals <= appealSizes.length) size = appealSizes[t.appeals - 1];
        // Fresh: members of the round under review are drawn only if too few others serve.
        exclude = isAppeal ? _members(_round(requestId, t.accepted)) : new address[](0);
    }

    function commitmentOf(uint256 requestId, uint8 round, address member, Vote vote, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(requestId, round, member, vote, salt));
    }

    function _voteAt(uint64 votes, uint256 seat) internal pure returns (Vote) {
        return Vote((votes >> (2 * seat)) & 3);
    }

    function _voters(RoundState storage r) internal view returns (uint8) {
        return r.appeal ? r.size : r.size - 1;
    }

    /// @dev Waits for `draw` to draw `round`'s members from this block's hash (the caller has the
    /// NodeRegistry mark this block: the Coprocessor for a request, `appeal` for an appeal).
    function _awaitDraw(uint256 requestId, TaskState storage t, uint8 round) internal {
        t.phase = Phase.Drawing;
        _round(requestId, round).deadline = uint32(block.number);
        emit DrawPending(requestId, round, uint64(block.number));
    }

    function _startRound(
        uint256 requestId,
        TaskState storage t,
        uint8 round,
        bool isAppeal,
        address[] memory members,
        uint8 subject,
        bytes32 batch,
        bytes memory answer
    ) internal {
        RoundState storage r = _round(requestId, round);
        t.round = round;
        _storeMembers(r, members, batch, answer);
        r.appeal = isAppeal;
        r.subject = subject;
        if (isAppeal) {
            t.phase = Phase.Commit;
            r.deadline = uint32(block.timestamp + commitWindow);
        } else {
            t.phase = Phase.Propose;
            r.deadline = uint32(block.timestamp + proposeWindow);
        }
        emit RoundStarted(requestId, t.round, isAppeal, members, r.deadline);
    }

    function _openReveal(TaskState storage t, RoundState storage r) internal {
        t.phase = Phase.Reveal;
        r.deadline = uint32(block.timestamp + revealWindow);
    }

    /// @dev Decides a round once every committed vote is revealed or the reveal phase ended.
    function _tally(uint256 requestId, TaskState storage t, RoundState storage r) internal {
        uint64 votes = r.votes;
        uint256 n = r.size;
        address[] memory members = _members(r);
        for (uint256 i = r.appeal ? 0 : 1; i < n; i++) {
            if (_voteAt(votes, i) != Vote.None) continue;
            // Committed and hid its vote: as costly as a wrong vote, so hiding never pays.
            if (r.committedSeats & (1 << i) != 0) {
                _slashNoShow(requestId, t, members[i], wrongSlash, "no reveal");
            } else {
                _slashNoShow(requestId, t, members[i], noShowSlash, "no commit");
            }
        }
        uint256 agrees = r.agrees + (r.appeal ? 0 : 1);
        Outcome outcome;
        if (agrees * 2 > n) outcome = Outcome.Accepted;
        else if (uint256(r.disagrees) * 2 > n) outcome = Outcome.Rejected;
        else outcome = Outcome.Undecided;
        r.outcome = outcome;
        emit RoundDecided(requestId, t.round, outcome, uint8(agrees), r.disagrees);

        if (!r.appeal) {
            if (outcome == Outcome.Accepted) {
                _accept(requestId, t, t.round);
            } else {
                _nextProposalRound(requestId, t, members);
            }
        } else if (outcome == Outcome.Rejected) {
            // Overturned: this committee's leader proposes anew.
            _startOrRefund(requestId, t, members);
        } else {
            // Upheld (or no majority to overturn): the answer stands; a new appeal window opens.
            _accept(requestId, t, t.accepted);
        }
    }

    function _accept(uint256 requestId, TaskState storage t, uint8 round) internal {
        t.accepted = round;
        t.phase = Phase.Accepted;
        t.appealUntil = uint32(block.timestamp + appealWindow);
        emit Accepted(requestId, round, _answer(_round(requestId, round)), t.appealUntil);
    }

    /// @dev A proposal round failed: the same committee goes on with the next member leading.
    function _nextProposalRound(uint256 requestId, TaskState storage t, address[] memory members) internal {
        uint256 n = members.length;
        address[] memory rotated = new address[](n);
        for (uint256 i = 0; i < n; i++) rotated[i] = members[(i + 1) % n];
        _startOrRefund(requestId, t, rotated);
    }

    function _startOrRefund(uint256 requestId, TaskState storage t, address[] memory members) internal {
        if (roundCount(requestId) >= uint256(maxRounds) + t.appeals) {
            _refund(requestId, t);
            return;
        }
        _startRound(requestId, t, t.round + 1, false, members, 0, 0, "");
    }

    function _slashNoShow(uint256 requestId, TaskState storage t, address member, uint256 amount, string memory reason) internal {
        _slash(requestId, t, member, amount, reason);
        nodes.recordMissed(member);
    }

    /// @dev Slashes `member` into the request's pot.
    function _slash(uint256 requestId, TaskState storage t, address member, uint256 amount, string memory reason) internal {
        uint256 taken = nodes.slash(member, amount, reason);
        _toPot(requestId, t, taken);
        totalHeld += taken;
        if (taken > 0) emit MemberSlashed(requestId, member, taken, reason);
    }

    function _toPot(uint256 requestId, TaskState storage t, uint256 amount) internal {
        if (amount == 0) return;
        pots[requestId] += amount;
        t.hasPot = true;
    }

    /// @dev No answer after every round (or no committee to draw): the requester gets its escrow
    /// back from the Coprocessor, and nothing more; appellants that overturned an answer get
    /// their bond back; the pot (slashes, failed appeals' bonds) goes to the treasury.
    function _refund(uint256 requestId, TaskState storage t) internal {
        t.phase = Phase.Refunded;
        for (uint256 i = 1; i < roundCount(requestId); i++) {
            RoundState storage r = _round(requestId, i);
            if (r.bond == 0) continue;
            if (r.outcome == Outcome.Rejected) _credit(r.appellant, r.bond);
            else _toPot(requestId, t, r.bond);
        }
        _sharePot(requestId, t, new address[](0), 0);
        emit RequestRefunded(requestId);
        IAgreedSettlement(coprocessor).refundAgreed(requestId);
    }

    /// @dev Credits the pot to `winners[0..n)` in equal shares (the rest of the division to the
    /// first), or to the treasury when there are none.
    function _sharePot(uint256 requestId, TaskState storage t, address[] memory winners, uint256 n) internal {
        if (!t.hasPot) return;
        uint256 pot = pots[requestId];
        (t.hasPot, pots[requestId]) = (false, 0);
        if (pot == 0) return;
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

    function _credit(address to, uint256 amount) internal {
        if (amount == 0) return;
        totalHeld -= amount;
        _owe(to, amount);
    }

    /// @dev The answer is final: judge every decided round against it, share the pot among the
    /// winning voters, and have the Coprocessor pay the fee to the final round's majority and
    /// call the consumer back.
    function _finalize(uint256 requestId, TaskState storage t) internal {
        t.phase = Phase.Finalized;
        uint8 finalRound = t.accepted;
        (address[] memory winners, uint256 nWinners) = _judgeRounds(requestId, t, finalRound);
        _sharePot(requestId, t, winners, nWinners);
        RoundState storage f = _round(requestId, finalRound);
        bytes memory answer = _answer(f);
        emit Finalized(requestId, finalRound, answer);
        IAgreedSettlement(coprocessor).settleAgreed(requestId, answer, _majority(f));
    }

    /// @dev Judges every decided round against the final answer: wrong members are slashed into
    /// the pot, right ones listed (once each); appellants who challenged a non-final answer get
    /// their bond back (only), failed appeals' bonds go to the pot.
    function _judgeRounds(uint256 requestId, TaskState storage t, uint8 finalRound)
        internal
        returns (address[] memory winners, uint256 nWinners)
    {
        uint256 count = roundCount(requestId);
        uint256 seats;
        for (uint256 i = 0; i < count; i++) seats += _round(requestId, i).size;
        winners = new address[](seats);
        for (uint256 i = 0; i < count; i++) {
            RoundState storage r = _round(requestId, i);
            if (r.appeal) {
                if (r.subject != finalRound) {
                    _credit(r.appellant, r.bond);
                } else {
                    _toPot(requestId, t, r.bond);
                }
            }
            Outcome outcome = r.outcome;
            if (outcome != Outcome.Accepted && outcome != Outcome.Rejected) continue;
            bool truth = r.appeal ? r.subject == finalRound : i == finalRound;
            nWinners = _judgeRound(requestId, t, r, truth, winners, nWinners);
        }
    }

    /// @dev Judges one decided round's voters (`truth`: whether Agree was right).
    function _judgeRound(uint256 requestId, TaskState storage t, RoundState storage r, bool truth, address[] memory winners, uint256 n)
        internal
        returns (uint256)
    {
        address[] memory members = _members(r);
        uint64 votes = r.votes;
        // In a proposal round the leader stands with its answer.
        if (!r.appeal) n = _judge(requestId, t, members[0], truth, winners, n);
        for (uint256 m = r.appeal ? 0 : 1; m < members.length; m++) {
            Vote v = _voteAt(votes, m);
            if (v == Vote.None) continue;
            n = _judge(requestId, t, members[m], (v == Vote.Agree) == truth, winners, n);
        }
        return n;
    }

    /// @dev The final round's leader and the members that agreed with it.
    function _majority(RoundState storage f) internal view returns (address[] memory payees) {
        address[] memory members = _members(f);
        payees = new address[](f.agrees + 1);
        payees[0] = members[0];
        uint256 k = 1;
        uint64 votes = f.votes;
        for (uint256 m = 1; m < members.length; m++) {
            if (_voteAt(votes, m) == Vote.Agree) payees[k++] = members[m];
        }
    }

    /// @dev A right member joins the winners (once); a wrong one is slashed into the pot.
    function _judge(uint256 requestId, TaskState storage t, address member, bool right, address[] memory winners, uint256 n)
        internal
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

    function _checkAnswer(uint256 requestId, bytes32 modelId, bytes calldata answer) internal view {
        if (answer.length == 0 || answer.length > 4096) revert InvalidAnswer(requestId, "empty or over 4096 bytes");
        Rule storage rule = rules[modelId];
        if (rule.criterion == Criterion.Numeric && answer.length != 32) revert InvalidAnswer(requestId, "numeric answers are abi.encode(int256)");
        if (rule.criterion == Criterion.Label && !isLabel[modelId][keccak256(answer)]) {
            revert InvalidAnswer(requestId, "not one of the model's labels");
        }
    }
}
