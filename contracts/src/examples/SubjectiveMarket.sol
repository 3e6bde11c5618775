// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title SubjectiveMarket
/// @notice A parimutuel yes/no market on a subjective question ("did the critics love the
/// film?"), resolved by Verity's agreed mode: after the close, anyone asks a committee of staked
/// validators running the registered model (a Label rule with labels "yes" and "no"), which
/// answers by commit-reveal vote with appeals and slashing. Winners share the whole pool in
/// proportion to their stakes; an answer that is neither label, or a winning side nobody
/// backed, voids the market and everyone takes their stake back.
contract SubjectiveMarket is VerityConsumer {
    enum Outcome {
        Open,
        Resolving,
        Yes,
        No,
        Void
    }

    bytes32 public immutable modelId;
    string public question;
    uint64 public immutable closesAt;
    uint32 public constant CALLBACK_GAS = 100_000;
    Outcome public outcome;
    uint256 public requestId;
    uint256 public yesPool;
    uint256 public noPool;
    mapping(address => uint256) public yesStake;
    mapping(address => uint256) public noStake;

    error BettingClosed(uint64 closesAt);
    error NotClosed(uint64 closesAt);
    error WrongOutcome(Outcome outcome);
    error NothingToClaim(address who);
    error ZeroStake();

    event Bet(address indexed who, bool yes, uint256 amount);
    event ResolutionRequested(uint256 indexed requestId, address indexed by);
    event Resolved(uint256 indexed requestId, Outcome outcome, bytes answer);
    event Claimed(address indexed who, uint256 amount);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_, string memory question_, uint64 closesAt_) VerityConsumer(coprocessor_) {
        modelId = modelId_;
        question = question_;
        closesAt = closesAt_;
    }

    function bet(bool yes) external payable {
        if (block.timestamp >= closesAt) revert BettingClosed(closesAt);
        if (msg.value == 0) revert ZeroStake();
        if (yes) {
            yesStake[msg.sender] += msg.value;
            yesPool += msg.value;
        } else {
            noStake[msg.sender] += msg.value;
            noPool += msg.value;
        }
        emit Bet(msg.sender, yes, msg.value);
    }

    function resolutionFee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice After the close, anyone pays the fee to put the question to the committee.
    function resolve() external payable returns (uint256 id) {
        if (block.timestamp < closesAt) revert NotClosed(closesAt);
        if (outcome != Outcome.Open) revert WrongOutcome(outcome);
        outcome = Outcome.Resolving;
        id = _ask(modelId, bytes(question), CALLBACK_GAS, msg.value);
        requestId = id;
        emit ResolutionRequested(id, msg.sender);
    }

    function _onResult(uint256 id, bytes calldata answer) internal override {
        if (id != requestId || outcome != Outcome.Resolving) revert UnknownRequest(id);
        Outcome o = _isLabel(answer, "yes") ? Outcome.Yes : _isLabel(answer, "no") ? Outcome.No : Outcome.Void;
        if ((o == Outcome.Yes && yesPool == 0) || (o == Outcome.No && noPool == 0)) o = Outcome.Void;
        outcome = o;
        emit Resolved(id, o, answer);
    }

    /// @dev No answer: the market can be put to the committee again.
    function _onRefunded(uint256) internal override {
        outcome = Outcome.Open;
        requestId = 0;
    }

    /// @notice What `who` can claim now.
    function payout(address who) public view returns (uint256) {
        uint256 pool = yesPool + noPool;
        if (outcome == Outcome.Yes) return (yesStake[who] * pool) / yesPool;
        if (outcome == Outcome.No) return (noStake[who] * pool) / noPool;
        if (outcome == Outcome.Void) return yesStake[who] + noStake[who];
        return 0;
    }

    function claim() external {
        uint256 amount = payout(msg.sender);
        if (amount == 0) revert NothingToClaim(msg.sender);
        yesStake[msg.sender] = 0;
        noStake[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        _pay(msg.sender, amount);
    }
}
