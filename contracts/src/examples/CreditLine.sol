// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title CreditLine
/// @notice Under-collateralised loans from a lenders' pool. The protocol keeps each borrower's
/// record (loans repaid, volume repaid, account age, liquidations) and builds the credit model's
/// input from it on chain, so the data scored is the chain's own, not the borrower's claim. The
/// proved score (an estimated repayment probability) sets the credit limit:
/// `limit = maxCredit * (score - floor) / (1 - floor)`, clipped to [0, maxCredit].
contract CreditLine is VerityConsumer {
    struct Borrower {
        uint64 firstSeen;
        uint32 repaid;
        uint32 liquidations;
        uint128 volumeRepaid;
        uint256 limit;
        uint256 pendingRequest;
        uint256 debt;
        uint64 due;
    }

    // Caps that map the record to [0, 1] model features: the same as models/credit/simulate.ts.
    uint256 public constant REPAID_CAP = 20;
    uint256 public constant VOLUME_CAP = 10 ether;
    uint256 public constant AGE_CAP = 365 days;
    uint256 public constant LIQUIDATION_CAP = 5;
    uint32 public constant CALLBACK_GAS = 120_000;
    uint256 public constant INTEREST_BPS = 100;
    uint64 public constant TERM = 30 days;

    bytes32 public immutable modelId;
    uint8 public immutable inputScale;
    uint8 public immutable outputScale;
    uint256 public immutable maxCredit;
    /// @notice Scores at or below this (fixed point at `outputScale`) get no credit.
    int256 public immutable floor;

    mapping(address => Borrower) public borrowers;
    mapping(uint256 => address) private borrowerOfRequest;
    uint256 public totalDebt;

    error ScorePending(address borrower, uint256 requestId);
    error OverLimit(uint256 requested, uint256 available);
    error HasDebt(address borrower, uint256 debt);
    error NoDebt(address borrower);
    error Underpaid(uint256 owed, uint256 paid);
    error NotDue(address borrower, uint64 due);
    error PoolTooSmall(uint256 requested, uint256 available);

    event ScoreRequested(address indexed borrower, uint256 indexed requestId, bytes input);
    event Scored(address indexed borrower, uint256 indexed requestId, int256 score, uint256 limit);
    event Borrowed(address indexed borrower, uint256 amount, uint64 due);
    event Repaid(address indexed borrower, uint256 amount, uint256 interest);
    event Liquidated(address indexed borrower, uint256 loss);
    event Funded(address indexed lender, uint256 amount);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_, uint8 inputScale_, uint256 maxCredit_, int256 floorScore)
        VerityConsumer(coprocessor_)
    {
        modelId = modelId_;
        inputScale = inputScale_;
        outputScale = _outputScale(modelId_);
        maxCredit = maxCredit_;
        floor = floorScore;
    }

    /// @notice Lenders add liquidity (this example keeps no lender shares: interest stays in the pool).
    function fund() external payable {
        emit Funded(msg.sender, msg.value);
    }

    function fee() external view returns (uint256) {
        return coprocessor.quote(modelId, CALLBACK_GAS);
    }

    /// @notice The model input for `who`'s record as it stands: 4 bytes, one per feature.
    function features(address who) public view returns (bytes memory) {
        Borrower storage b = borrowers[who];
        uint256 age = b.firstSeen == 0 ? 0 : block.timestamp - b.firstSeen;
        return abi.encodePacked(
            _capped(b.repaid, REPAID_CAP),
            _capped(b.volumeRepaid, VOLUME_CAP),
            _capped(age, AGE_CAP),
            _capped(b.liquidations, LIQUIDATION_CAP)
        );
    }

    /// @notice Asks the credit model to score the caller's record; the callback sets the limit.
    function requestScore() external payable returns (uint256 requestId) {
        Borrower storage b = borrowers[msg.sender];
        if (b.pendingRequest != 0) revert ScorePending(msg.sender, b.pendingRequest);
        if (b.firstSeen == 0) b.firstSeen = uint64(block.timestamp);
        bytes memory input = features(msg.sender);
        requestId = _ask(modelId, input, CALLBACK_GAS, msg.value);
        b.pendingRequest = requestId;
        borrowerOfRequest[requestId] = msg.sender;
        emit ScoreRequested(msg.sender, requestId, input);
    }

    function _onResult(uint256 requestId, bytes calldata output) internal override {
        address who = borrowerOfRequest[requestId];
        if (who == address(0)) revert UnknownRequest(requestId);
        delete borrowerOfRequest[requestId];
        int256 score = abi.decode(output, (int256[]))[0];
        Borrower storage b = borrowers[who];
        b.pendingRequest = 0;
        b.limit = limitFor(score);
        emit Scored(who, requestId, score, b.limit);
    }

    function _onRefunded(uint256 requestId) internal override {
        address who = borrowerOfRequest[requestId];
        delete borrowerOfRequest[requestId];
        borrowers[who].pendingRequest = 0;
    }

    /// @notice The credit limit a score gives.
    function limitFor(int256 score) public view returns (uint256) {
        int256 one = int256(1) << outputScale;
        if (score <= floor) return 0;
        if (score >= one) return maxCredit;
        return (maxCredit * uint256(score - floor)) / uint256(one - floor);
    }

    /// @notice Borrows up to the limit, with no collateral; due in `TERM` with `INTEREST_BPS` interest.
    function borrow(uint256 amount) external {
        Borrower storage b = borrowers[msg.sender];
        if (b.debt != 0) revert HasDebt(msg.sender, b.debt);
        if (amount > b.limit) revert OverLimit(amount, b.limit);
        if (amount > address(this).balance) revert PoolTooSmall(amount, address(this).balance);
        b.debt = amount;
        b.due = uint64(block.timestamp) + TERM;
        totalDebt += amount;
        emit Borrowed(msg.sender, amount, b.due);
        _pay(msg.sender, amount);
    }

    /// @notice What the borrower owes now: principal plus interest.
    function owed(address who) public view returns (uint256) {
        uint256 d = borrowers[who].debt;
        return d + (d * INTEREST_BPS) / 10_000;
    }

    /// @notice Repays the loan in full; the record gains one repayment and its volume.
    function repay() external payable {
        Borrower storage b = borrowers[msg.sender];
        uint256 debt = b.debt;
        if (debt == 0) revert NoDebt(msg.sender);
        uint256 due = owed(msg.sender);
        if (msg.value < due) revert Underpaid(due, msg.value);
        b.debt = 0;
        b.due = 0;
        totalDebt -= debt;
        b.repaid++;
        b.volumeRepaid += uint128(debt);
        emit Repaid(msg.sender, debt, due - debt);
        if (msg.value > due) _pay(msg.sender, msg.value - due);
    }

    /// @notice Anyone may write off an overdue loan: the record gains a liquidation and the limit drops to 0.
    function liquidate(address who) external {
        Borrower storage b = borrowers[who];
        if (b.debt == 0) revert NoDebt(who);
        if (block.timestamp <= b.due) revert NotDue(who, b.due);
        uint256 loss = b.debt;
        totalDebt -= loss;
        b.debt = 0;
        b.due = 0;
        b.limit = 0;
        b.liquidations++;
        emit Liquidated(who, loss);
    }

    function _capped(uint256 value, uint256 cap) private view returns (bytes1) {
        return _inputByte(int256(value < cap ? value : cap), cap, inputScale);
    }
}
