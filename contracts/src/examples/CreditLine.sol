// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VerityConsumer} from "../VerityConsumer.sol";
import {ICoprocessor} from "../interfaces/ICoprocessor.sol";

/// @title CreditLine
/// @notice Loans from a lenders' pool, secured by the borrower's collateral and, for borrowers an
/// attester vouches for, an unsecured line set by a proved credit score. The protocol keeps each
/// borrower's record (loans repaid, volume repaid, account age, liquidations) and builds the
/// credit model's input from it on chain, so the data scored is the chain's own, not the
/// borrower's claim. The proved score (an estimated repayment probability) sets the unsecured
/// line: `line = maxCredit * (score - floor) / (1 - floor)`, clipped to [0, maxCredit].
///
/// Why the gates: the model scores an empty record well above the floor (the simulated
/// population repays), so a score alone would hand every fresh address unsecured credit, and a
/// sybil could drain the pool. Hence:
/// - the unsecured line counts only for borrowers the `attester` vouches for (one identity, one
///   line); anyone else borrows only against collateral, which liquidation seizes;
/// - every loan pays at least `MIN_INTEREST`, and a repayment adds to the record only for a
///   loan of at least `MIN_COUNTED_LOAN`, at most `COUNTED_PER_PERIOD` times per `COUNT_PERIOD`:
///   looping tiny or many loans does not build a history.
contract CreditLine is VerityConsumer {
    struct Borrower {
        uint64 firstSeen;
        uint32 repaid;
        uint32 liquidations;
        uint128 volumeRepaid;
        /// @dev the unsecured line the last score gave; it counts only while the borrower is attested
        uint256 limit;
        uint256 pendingRequest;
        uint256 debt;
        uint64 due;
        uint256 collateral;
        uint64 periodStart;
        uint8 countedInPeriod;
    }

    // Caps that map the record to [0, 1] model features: the same as models/credit/simulate.ts.
    uint256 public constant REPAID_CAP = 20;
    uint256 public constant VOLUME_CAP = 10 ether;
    uint256 public constant AGE_CAP = 365 days;
    uint256 public constant LIQUIDATION_CAP = 5;
    uint32 public constant CALLBACK_GAS = 120_000;
    uint256 public constant INTEREST_BPS = 100;
    /// @notice The least interest any loan pays, however small.
    uint256 public constant MIN_INTEREST = 0.001 ether;
    /// @notice Smaller loans are repaid without adding to the record.
    uint256 public constant MIN_COUNTED_LOAN = 0.1 ether;
    /// @notice At most this many repayments add to the record per `COUNT_PERIOD`.
    uint8 public constant COUNTED_PER_PERIOD = 3;
    uint64 public constant COUNT_PERIOD = 30 days;
    uint64 public constant TERM = 30 days;

    bytes32 public immutable modelId;
    uint8 public immutable inputScale;
    uint8 public immutable outputScale;
    uint256 public immutable maxCredit;
    /// @notice Scores at or below this (fixed point at `outputScale`) get no credit.
    int256 public immutable floor;
    /// @notice Vouches for borrowers (an identity or KYC provider): only they get an unsecured line.
    address public immutable attester;

    mapping(address => Borrower) public borrowers;
    mapping(address => bool) public isAttested;
    mapping(uint256 => address) private borrowerOfRequest;
    uint256 public totalDebt;
    /// @notice Collateral held for borrowers: not lent out.
    uint256 public totalCollateral;

    error ScorePending(address borrower, uint256 requestId);
    error OverLimit(uint256 requested, uint256 available);
    error HasDebt(address borrower, uint256 debt);
    error NoDebt(address borrower);
    error Underpaid(uint256 owed, uint256 paid);
    error NotDue(address borrower, uint64 due);
    error PoolTooSmall(uint256 requested, uint256 available);
    error OnlyAttester(address caller);
    error InsufficientCollateral(uint256 have, uint256 want);

    event ScoreRequested(address indexed borrower, uint256 indexed requestId, bytes input);
    event Scored(address indexed borrower, uint256 indexed requestId, int256 score, uint256 limit);
    event Borrowed(address indexed borrower, uint256 amount, uint64 due);
    event Repaid(address indexed borrower, uint256 amount, uint256 interest, bool counted);
    event Liquidated(address indexed borrower, uint256 seized, uint256 loss);
    event Funded(address indexed lender, uint256 amount);
    event AttestationSet(address indexed borrower, bool attested);
    event CollateralDeposited(address indexed borrower, uint256 amount);
    event CollateralWithdrawn(address indexed borrower, uint256 amount);

    constructor(ICoprocessor coprocessor_, bytes32 modelId_, uint8 inputScale_, uint256 maxCredit_, int256 floorScore, address attester_)
        VerityConsumer(coprocessor_)
    {
        modelId = modelId_;
        inputScale = inputScale_;
        outputScale = _outputScale(modelId_);
        maxCredit = maxCredit_;
        floor = floorScore;
        attester = attester_;
    }

    /// @notice The attester vouches for `borrower` (or withdraws it): the unsecured line counts only while it holds.
    /// Requirements:
    /// - the caller is the attester.
    function setAttested(address borrower, bool attested) external {
        if (msg.sender != attester) revert OnlyAttester(msg.sender);
        isAttested[borrower] = attested;
        emit AttestationSet(borrower, attested);
    }

    /// @notice Adds `msg.value` to the caller's collateral.
    function depositCollateral() external payable {
        borrowers[msg.sender].collateral += msg.value;
        totalCollateral += msg.value;
        emit CollateralDeposited(msg.sender, msg.value);
    }

    /// @notice Takes `amount` of the caller's collateral back.
    /// Requirements:
    /// - the caller has no debt;
    /// - it holds at least `amount` of collateral.
    function withdrawCollateral(uint256 amount) external {
        Borrower storage b = borrowers[msg.sender];
        if (b.debt != 0) revert HasDebt(msg.sender, b.debt);
        if (amount > b.collateral) revert InsufficientCollateral(b.collateral, amount);
        b.collateral -= amount;
        totalCollateral -= amount;
        emit CollateralWithdrawn(msg.sender, amount);
        _pay(msg.sender, amount);
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

    /// @notice Asks the credit model to score the caller's record; the callback sets the unsecured line.
    /// Requirements:
    /// - no score of the caller's is pending; `msg.value` covers `fee()`.
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

    /// @notice `who`'s whole record, as a struct.
    function borrowerOf(address who) external view returns (Borrower memory) {
        return borrowers[who];
    }

    /// @notice What `who` may borrow now: its collateral, plus the score's unsecured line if attested.
    function creditLimit(address who) public view returns (uint256) {
        Borrower storage b = borrowers[who];
        return b.collateral + (isAttested[who] ? b.limit : 0);
    }

    /// @notice The pool's wei that may be lent: the balance less the collateral it holds.
    function liquidity() public view returns (uint256) {
        return address(this).balance - totalCollateral;
    }

    /// @notice Borrows `amount`, due in `TERM` with `INTEREST_BPS` interest (at least `MIN_INTEREST`).
    /// Requirements:
    /// - the caller has no debt;
    /// - `amount` is within `creditLimit(caller)` and the pool's `liquidity()`.
    function borrow(uint256 amount) external {
        Borrower storage b = borrowers[msg.sender];
        if (b.debt != 0) revert HasDebt(msg.sender, b.debt);
        uint256 available = creditLimit(msg.sender);
        if (amount > available) revert OverLimit(amount, available);
        if (amount > liquidity()) revert PoolTooSmall(amount, liquidity());
        b.debt = amount;
        b.due = uint64(block.timestamp) + TERM;
        totalDebt += amount;
        emit Borrowed(msg.sender, amount, b.due);
        _pay(msg.sender, amount);
    }

    /// @notice The interest a loan of `principal` pays: `INTEREST_BPS`, at least `MIN_INTEREST`.
    function interestOn(uint256 principal) public pure returns (uint256) {
        uint256 i = (principal * INTEREST_BPS) / 10_000;
        return i < MIN_INTEREST ? MIN_INTEREST : i;
    }

    /// @notice What the borrower owes now: principal plus interest.
    function owed(address who) public view returns (uint256) {
        uint256 d = borrowers[who].debt;
        return d == 0 ? 0 : d + interestOn(d);
    }

    /// @notice Repays the loan in full (any excess is returned). The record gains one repayment
    /// and its volume when the loan was at least `MIN_COUNTED_LOAN` and fewer than
    /// `COUNTED_PER_PERIOD` repayments have counted in the current `COUNT_PERIOD`.
    /// Requirements:
    /// - the caller has debt, and `msg.value` covers `owed(caller)`.
    function repay() external payable {
        Borrower storage b = borrowers[msg.sender];
        uint256 debt = b.debt;
        if (debt == 0) revert NoDebt(msg.sender);
        uint256 due = owed(msg.sender);
        if (msg.value < due) revert Underpaid(due, msg.value);
        b.debt = 0;
        b.due = 0;
        totalDebt -= debt;
        bool counted = debt >= MIN_COUNTED_LOAN && _countThisPeriod(b);
        if (counted) {
            b.repaid++;
            b.volumeRepaid += uint128(debt);
        }
        emit Repaid(msg.sender, debt, due - debt, counted);
        if (msg.value > due) _pay(msg.sender, msg.value - due);
    }

    /// @notice Anyone may liquidate an overdue loan: the borrower's collateral covers what it owes
    /// as far as it goes, the rest is written off, the record gains a liquidation and the line drops to 0.
    /// Requirements:
    /// - `who` has debt, past its due time.
    function liquidate(address who) external {
        Borrower storage b = borrowers[who];
        if (b.debt == 0) revert NoDebt(who);
        if (block.timestamp <= b.due) revert NotDue(who, b.due);
        uint256 due = owed(who);
        uint256 seized = b.collateral < due ? b.collateral : due;
        b.collateral -= seized;
        totalCollateral -= seized;
        totalDebt -= b.debt;
        b.debt = 0;
        b.due = 0;
        b.limit = 0;
        b.liquidations++;
        emit Liquidated(who, seized, due - seized);
    }

    /// @dev Whether a repayment may still add to `b`'s record in the current period (and counts it).
    function _countThisPeriod(Borrower storage b) private returns (bool) {
        if (block.timestamp >= uint256(b.periodStart) + COUNT_PERIOD) {
            b.periodStart = uint64(block.timestamp);
            b.countedInPeriod = 0;
        }
        if (b.countedInPeriod >= COUNTED_PER_PERIOD) return false;
        b.countedInPeriod++;
        return true;
    }

    function _capped(uint256 value, uint256 cap) private view returns (bytes1) {
        return _inputByte(int256(value < cap ? value : cap), cap, inputScale);
    }
}
