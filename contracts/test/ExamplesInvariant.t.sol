// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {MockCoprocessor} from "./utils/MockCoprocessor.sol";
import {ICoprocessor} from "../src/interfaces/ICoprocessor.sol";
import {SubjectiveMarket} from "../src/examples/SubjectiveMarket.sol";
import {SignalVault} from "../src/examples/SignalVault.sol";
import {CreditLine} from "../src/examples/CreditLine.sol";

/// @dev Random bets, a resolution with a random answer, and random claims.
contract MarketHandler is TestBase {
    SubjectiveMarket public immutable market;
    MockCoprocessor public immutable mock;
    address[4] public bettors = [address(0xB1), address(0xB2), address(0xB3), address(0xB4)];
    uint256 public claimed;

    constructor(SubjectiveMarket m, MockCoprocessor c) {
        market = m;
        mock = c;
    }

    function bet(uint256 who, uint256 amount, bool yes) external {
        if (block.timestamp >= market.closesAt()) return;
        address b = bettors[who % 4];
        amount = bound(amount, 1, 5 ether);
        vm.deal(b, amount);
        vm.prank(b);
        market.bet{value: amount}(yes);
    }

    function close(uint256 answer) external {
        if (market.outcome() != SubjectiveMarket.Outcome.Open) return;
        vm.warp(market.closesAt());
        vm.deal(address(this), 1 ether);
        uint256 id = market.resolve{value: 0.001 ether}();
        string[3] memory answers = ["yes", "no", "perhaps"];
        mock.deliver(id, bytes(answers[answer % 3]));
    }

    function claim(uint256 who) external {
        address b = bettors[who % 4];
        uint256 p = market.payout(b);
        if (p == 0) return;
        vm.prank(b);
        market.claim();
        claimed += p;
    }

    function owedToAll() external view returns (uint256 owed) {
        for (uint256 i = 0; i < 4; i++) owed += market.payout(bettors[i]);
    }
}

contract SubjectiveMarketInvariant is TestBase {
    MarketHandler internal handler;
    SubjectiveMarket internal market;

    function setUp() public {
        MockCoprocessor mock = new MockCoprocessor();
        market = new SubjectiveMarket(ICoprocessor(address(mock)), keccak256("m"), "Did the critics love the film?", uint64(block.timestamp + 1 days));
        handler = new MarketHandler(market, mock);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @dev Whatever the bets, answer and claims: the market holds what it still owes.
    function invariant_solvent() public view {
        assertGe(address(market).balance, handler.owedToAll(), "market balance covers every payout");
    }

    /// @dev The pool is paid out or held, never created: claimed + held == staked.
    function invariant_conservesStakes() public view {
        assertEq(handler.claimed() + address(market).balance, market.yesPool() + market.noPool(), "claimed + held == staked");
    }
}

/// @dev Random deposits, withdrawals and donations by a first depositor and three others.
contract VaultHandler is TestBase {
    SignalVault public immutable vault;
    address[4] public holders = [address(0xD1), address(0xD2), address(0xD3), address(0xD4)];
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public donated;
    /// @dev set if a deposit's shares were ever worth more, right away, than the deposit
    bool public depositGained;

    constructor(SignalVault v) {
        vault = v;
    }

    function deposit(uint256 who, uint256 amount) external {
        address h = holders[who % 4];
        amount = bound(amount, 1, 100 ether);
        if (vault.convertToShares(amount) == 0) return;
        vm.deal(h, amount);
        vm.prank(h);
        uint256 minted = vault.deposit{value: amount}();
        deposited += amount;
        if (vault.convertToAssets(minted) > amount) depositGained = true;
    }

    function withdraw(uint256 who, uint256 fraction) external {
        address h = holders[who % 4];
        uint256 amount = (vault.shares(h) * bound(fraction, 0, 100)) / 100;
        vm.prank(h);
        withdrawn += vault.withdraw(amount);
    }

    function donate(uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(address(this), amount);
        (bool ok,) = address(vault).call{value: amount}("");
        require(ok, "donation refused");
        donated += amount;
    }

    /// @dev What every holder could withdraw now, one after another.
    function redeemableByAll() external view returns (uint256 total) {
        for (uint256 i = 0; i < 4; i++) total += vault.convertToAssets(vault.shares(holders[i]));
    }
}

contract SignalVaultInvariant is TestBase {
    VaultHandler internal handler;
    SignalVault internal vault;

    function setUp() public {
        MockCoprocessor mock = new MockCoprocessor();
        vault = new SignalVault(ICoprocessor(address(mock)), keccak256("s"), 6, address(0x0AC1E));
        handler = new VaultHandler(vault);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @dev The vault can pay every share out at its current price.
    function invariant_solvent() public view {
        assertGe(address(vault).balance, handler.redeemableByAll(), "balance covers every holder's shares");
    }

    /// @dev Wei in == wei out + wei held: nothing created or lost.
    function invariant_conservesAssets() public view {
        assertEq(handler.deposited() + handler.donated(), handler.withdrawn() + address(vault).balance, "in == out + held");
    }

    /// @dev Rounding never favours a depositor against the vault, whatever the donations before:
    /// the shares a deposit mints are never worth more than the deposit.
    function invariant_roundingFavoursTheVault() public view {
        assertTrue(!handler.depositGained(), "a deposit's shares are worth at most the deposit");
    }
}

/// @dev Random collateral, loans, repayments, withdrawals and liquidations by four borrowers,
/// two of them attested with the best score.
contract CreditHandler is TestBase {
    CreditLine public immutable line;
    MockCoprocessor public immutable mock;
    address[4] public borrowers = [address(0xC1), address(0xC2), address(0xC3), address(0xC4)];

    constructor(CreditLine l, MockCoprocessor m) {
        line = l;
        mock = m;
    }

    function score(uint256 who) external {
        address b = borrowers[who % 4];
        if (line.borrowerOf(b).pendingRequest != 0) return;
        vm.deal(b, b.balance + 0.001 ether);
        vm.prank(b);
        uint256 id = line.requestScore{value: 0.001 ether}();
        mock.deliverOne(id, int256(1) << 15);
    }

    function depositCollateral(uint256 who, uint256 amount) external {
        address b = borrowers[who % 4];
        amount = bound(amount, 0, 5 ether);
        vm.deal(b, b.balance + amount);
        vm.prank(b);
        line.depositCollateral{value: amount}();
    }

    function withdrawCollateral(uint256 who, uint256 amount) external {
        address b = borrowers[who % 4];
        CreditLine.Borrower memory r = line.borrowerOf(b);
        if (r.debt != 0) return;
        vm.prank(b);
        line.withdrawCollateral(bound(amount, 0, r.collateral));
    }

    function borrow(uint256 who, uint256 amount) external {
        address b = borrowers[who % 4];
        if (line.borrowerOf(b).debt != 0) return;
        uint256 cap = line.creditLimit(b) < line.liquidity() ? line.creditLimit(b) : line.liquidity();
        vm.prank(b);
        line.borrow(bound(amount, 0, cap));
    }

    function repay(uint256 who) external {
        address b = borrowers[who % 4];
        if (line.borrowerOf(b).debt == 0) return;
        uint256 owed = line.owed(b);
        vm.deal(b, b.balance + owed);
        vm.prank(b);
        line.repay{value: owed}();
    }

    function liquidate(uint256 who) external {
        address b = borrowers[who % 4];
        CreditLine.Borrower memory r = line.borrowerOf(b);
        if (r.debt == 0) return;
        if (block.timestamp <= r.due) vm.warp(r.due + 1);
        line.liquidate(b);
    }

    function collateralOfAll() external view returns (uint256 total) {
        for (uint256 i = 0; i < 4; i++) total += line.borrowerOf(borrowers[i]).collateral;
    }

    function debtOfAll() external view returns (uint256 total) {
        for (uint256 i = 0; i < 4; i++) total += line.borrowerOf(borrowers[i]).debt;
    }
}

contract CreditLineInvariant is TestBase {
    CreditHandler internal handler;
    CreditLine internal line;

    function setUp() public {
        MockCoprocessor mock = new MockCoprocessor();
        mock.setOutputScale(15);
        line = new CreditLine(ICoprocessor(address(mock)), keccak256("c"), 6, 5 ether, (int256(6) << 15) / 10, address(this));
        line.fund{value: 20 ether}();
        handler = new CreditHandler(line, mock);
        line.setAttested(handler.borrowers(0), true);
        line.setAttested(handler.borrowers(1), true);
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// @dev Collateral is held, never lent: the pool's balance always covers every borrower's collateral.
    function invariant_collateralIsAlwaysHeld() public view {
        assertEq(line.totalCollateral(), handler.collateralOfAll(), "totalCollateral is the sum of the borrowers'");
        assertGe(address(line).balance, line.totalCollateral(), "balance covers the collateral");
    }

    /// @dev totalDebt is the sum of the borrowers' debts.
    function invariant_debtIsAccounted() public view {
        assertEq(line.totalDebt(), handler.debtOfAll(), "totalDebt is the sum of the borrowers'");
    }

    /// @dev Unattested borrowers never owe more than their collateral covers.
    function invariant_unattestedDebtIsSecured() public view {
        for (uint256 i = 2; i < 4; i++) {
            CreditLine.Borrower memory r = line.borrowerOf(handler.borrowers(i));
            assertGe(r.collateral, r.debt, "an unattested borrower's debt is within its collateral");
        }
    }
}
