// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Timelocked} from "./Timelocked.sol";
import {CommitteeBase} from "./CommitteeBase.sol";
import {CommitteeRounds} from "./CommitteeRounds.sol";
import {IAgreedSettlement} from "./interfaces/IAgreedSettlement.sol";
import {ICommittee} from "./interfaces/ICommittee.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

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
/// seen. Members may instead sign their commitments (EIP-712 `Ballot`, over the answer they
/// judged) and give them, then their openings, to the leader, who sends each set in one
/// transaction (`commitSigned`, `revealMany`); a member whose ballot is not sent in time
/// commits on its own. A first round's members can compute their draw beforehand
/// (`pendingCommittee`) and sign ballots over the answer the leader shows them, so its leader
/// draws, proposes and commits them in one transaction (`proposeSigned`): a request is then
/// four transactions (request, `proposeSigned`, `revealMany`, `advance`). The leader counts as an Agree. More than half the round's members agreeing accepts
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
contract Committee is CommitteeBase, ICommittee {
    /// @notice The code of the round transactions, which this contract runs on its own storage.
    address public immutable roundsCode;

    /// @param adminDelay_ seconds between scheduling a parameter change and executing it
    /// @param p the initial parameters (bounded as in `setParameters`)
    constructor(INodeRegistry nodes_, IModelRegistry registry_, address owner_, uint64 adminDelay_, Parameters memory p)
        Ownable(owner_)
        Timelocked(adminDelay_)
        CommitteeBase(nodes_, registry_, _domainSeparator())
    {
        roundsCode = address(new CommitteeRounds(nodes_, registry_, _domainSeparator()));
        _setParameters(p);
    }

    function _domainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Verity Committee"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
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
        // Each at most MAX_WINDOW (7 days < 2^24 s), checked above.
        (proposeWindow, commitWindow, revealWindow, appealWindow) =
            (uint24(p.proposeWindow), uint24(p.commitWindow), uint24(p.revealWindow), p.appealWindow);
        (noShowSlash, wrongSlash, appealBond) = (p.noShowSlash, p.wrongSlash, p.appealBond);
        emit ParametersChanged(p);
    }

    function _checkSize(string memory name, uint8 size) internal pure {
        if (size < MIN_COMMITTEE || size > MAX_COMMITTEE) revert InvalidParameter(name, size);
    }

    function _checkWindow(string memory name, uint64 window, uint64 min) internal pure {
        if (window < min || window > MAX_WINDOW) revert InvalidParameter(name, window);
    }

    function _setCoprocessor(address coprocessor_) internal {
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
        mapping(bytes32 => bool) storage set = isLabel[modelId];
        for (uint256 i = 0; i < r.labels.length; i++) delete set[r.labels[i]];
        delete r.labels;
        // Only a Label rule's labels are a set answers are checked against.
        for (uint256 i = 0; i < labels.length; i++) {
            bytes32 h = keccak256(bytes(labels[i]));
            r.labels.push(h);
            if (criterion == Criterion.Label) set[h] = true;
        }
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
    function draw(uint256) external {
        _forward();
    }

    /// @notice The leader's answer. Requirements: the Propose phase, before its deadline; the
    /// caller leads the round; the answer fits the model's rule (a Label rule: one of its labels;
    /// Numeric: 32 bytes, an `int256`).
    function propose(uint256, bytes calldata) external {
        _forward();
    }

    /// @notice The leader's whole first step in one transaction: the draw (if nobody sent it
    /// yet), the proposal, and the sealed votes of the members that signed them off chain. The
    /// members learn the draw beforehand (`pendingCommittee`), take the leader's answer from it
    /// off chain and sign `ballotDigest` over their commitment and that answer's keccak256, so a
    /// ballot counts only for the answer its member saw. The round keeps one hash of these
    /// commitments (`sealedBatch`; `BallotsSealed` lists them) instead of one slot each; members
    /// not in it commit on their own (`commit`, `commitSigned`) before the commit deadline. If
    /// the draw rearms or fails, that is all the call does.
    /// Requirements: the Drawing phase with `block.number > drawBlock`, or the Propose phase
    /// before its deadline; the caller leads the round drawn; the answer fits the model's rule;
    /// each signer holds its seat and votes in this round (else `NotMember(requestId, signer,
    /// seat)`); no zero commitment. A seat signed twice counts once.
    function proposeSigned(uint256, bytes calldata, SignedBallot[] calldata) external {
        _forward();
    }

    /// @notice A member's sealed vote: `keccak256(abi.encode(requestId, round, member, vote, salt))`.
    /// `seat` is the caller's index in the round's members (RoundStarted lists them).
    /// Requirements: the Commit phase, before its deadline; the caller holds `seat` and votes in
    /// this round (not the leader of a proposal round); it has not committed. The reveal opens
    /// when every voter has committed.
    function commit(uint256, uint256, bytes32) external {
        _forward();
    }

    /// @notice Several members' sealed votes in one transaction, each signed off chain by its
    /// seat's holder (EIP-712 `Ballot`, see `ballotDigest`); anyone may send them (a round's
    /// leader collects them). A seat that has already committed (on chain, or in an earlier
    /// batch) is skipped, so a member's own `commit` and a batch never conflict. The signature
    /// binds the request, round, seat, commitment, the answer voted on (the proposal, or under an
    /// appeal the accepted answer), chain and this contract: it cannot be replayed
    /// elsewhere, and nobody can commit for a member what it did not sign.
    /// Requirements: the Commit phase, before its deadline; each signer holds its seat and votes
    /// in this round (else `NotMember(requestId, signer, seat)`: a signature over another
    /// request, round, seat, commitment, chain or committee recovers another signer); no zero commitment.
    function commitSigned(uint256, SignedBallot[] calldata) external {
        _forward();
    }

    /// @notice Opens a sealed vote committed on chain (one of `proposeSigned`'s batch is opened
    /// with `revealMany`). Requirements: the Reveal phase (every voter committed, or the commit
    /// phase ended), before its deadline; the caller holds `seat`; the vote and salt match its commitment.
    function reveal(uint256, uint256, Vote, bytes32) external {
        _forward();
    }

    /// @notice Opens several sealed votes in one transaction; anyone may send them (a round's
    /// leader collects its members' openings off chain once the reveal has opened): the
    /// commitment's preimage names the member, so only the salt's holder can open it. A seat
    /// already revealed is skipped. The round is decided when every committed vote is open.
    /// `sealedBatch`: the round's signed batch (`BallotsSealed`) when an opening is of one of
    /// its seats, else empty.
    /// Requirements: the Reveal phase, before its deadline; `sealedBatch` empty or the round's
    /// batch (else `BatchMismatch`); each seat committed, with a vote and salt that match its commitment.
    function revealMany(uint256, Opening[] calldata, bytes32[] calldata) external {
        _forward();
    }

    /// @notice Moves an expired phase on: a missing proposal, commits or reveals are slashed and
    /// the request continues; an accepted answer past its appeal window is finalised. Anyone may call.
    /// Requirements: the Propose, Commit, Reveal or Accepted phase; its deadline has passed.
    function advance(uint256) external {
        _forward();
    }

    /// @notice Challenges the accepted answer: a fresh, larger committee votes on it. Its
    /// members are drawn by `draw` from a later block, never in this transaction. A successful
    /// appellant gets its bond back (and nothing more); a failed appeal's bond goes to the pot.
    /// Requirements: the Accepted phase, within the appeal window; appeals remain;
    /// `msg.value >= appealBondFor(requestId)`.
    function appeal(uint256) external payable {
        _forward();
    }

    /// @dev Runs the call on this contract's storage with the round transactions' code.
    function _forward() private {
        address code = roundsCode;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), code, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @notice The code of the contract that will hold a round's members, while it is being made
    /// in this transaction (nothing at any other time): returned raw, not ABI-encoded.
    function roundCode() external view {
        assembly {
            let n := tload(ROUND_CODE_SLOT)
            for { let i := 0 } lt(mul(i, 32), n) { i := add(i, 1) } {
                mstore(mul(i, 32), tload(add(ROUND_CODE_SLOT, add(i, 1))))
            }
            return(0, n)
        }
    }

    // ---------------------------------------------------------------- views

    function appealBondFor(uint256 requestId) public view returns (uint256) {
        return appealBond << tasks[requestId].appeals;
    }

    /// @notice A request's task: what it stores (`TaskState`) with the counts, the draw block
    /// and the pot read from where they are kept.
    function getTask(uint256 requestId) external view returns (Task memory v) {
        TaskState storage t = tasks[requestId];
        (v.phase, v.round, v.accepted, v.appeals, v.appealUntil) = (t.phase, t.round, t.accepted, t.appeals, t.appealUntil);
        v.started = _started(requestId);
        if (v.started) {
            RoundState storage r = _round(requestId, t.round);
            (v.committed, v.revealed) = (uint8(_committedCount(r)), uint8(_revealedCount(r)));
        }
        if (t.phase == Phase.Drawing) v.drawBlock = _waiting(requestId, t).deadline;
        v.pot = pots[requestId];
    }

    /// @notice A round (zeros for one not drawn yet, but an appeal's appellant and bond).
    function getRound(uint256 requestId, uint8 round) external view returns (Round memory v) {
        RoundState storage r = _round(requestId, round);
        (v.appeal, v.outcome, v.agrees, v.disagrees, v.subject) = (r.appeal, r.outcome, r.agrees, r.disagrees, r.subject);
        (v.votes, v.committedSeats, v.size, v.appellant, v.bond) = (r.votes, r.committedSeats, r.size, r.appellant, r.bond);
        // Until the round is drawn its `deadline` holds the draw block (`getTask` shows it).
        if (r.size != 0) v.deadline = r.deadline;
        (v.answerInCode, v.batchInCode) = (r.inCode & 1 != 0, r.inCode & 2 != 0);
        v.members = _members(r);
        v.answer = _answer(r);
        v.sealedBatch = _sealedBatch(r);
    }

    /// @notice A seat's sealed vote committed on chain (zero once revealed, if it never committed,
    /// or if it was committed in a signed batch: `BallotsSealed` has those) and revealed vote.
    function getBallot(uint256 requestId, uint8 round, uint256 seat) external view returns (bytes32 commitment, Vote vote) {
        commitment = commitments[requestId][(uint256(round) << 8) | seat];
        vote = _voteAt(_round(requestId, round).votes, seat);
    }

    /// @notice The members `draw` (or `proposeSigned`) would draw now for the round waiting for
    /// its draw, so that they can exchange ballots before it: empty when the request is not
    /// waiting for a draw, its draw block is not past or its hash is gone, or too few serve.
    function pendingCommittee(uint256 requestId) external view returns (address[] memory members) {
        TaskState storage t = tasks[requestId];
        if (t.phase != Phase.Drawing) return members;
        uint64 drawBlock = _waiting(requestId, t).deadline;
        if (block.number <= drawBlock || blockhash(drawBlock) == 0) return members;
        (uint256 seed, uint256 size, address[] memory exclude) = _drawArgs(requestId, t, drawBlock);
        try nodes.drawCommitteeAt(IAgreedSettlement(coprocessor).modelOf(requestId), seed, size, MIN_COMMITTEE, exclude, drawBlock) returns (address[] memory m) {
            members = m;
        } catch {}
    }
}
