// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {MockCoprocessor} from "./utils/MockCoprocessor.sol";
import {ICoprocessor} from "../src/interfaces/ICoprocessor.sol";
import {SubjectiveMarket} from "../src/examples/SubjectiveMarket.sol";

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
