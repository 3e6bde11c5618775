// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

contract NodeRegistryTest is TestBase {
    NodeRegistry internal reg;
    address internal constant A = address(0xA11CE);
    address internal constant B = address(0xB0B);
    uint256 internal constant MIN = 1 ether;
    uint64 internal constant UNBONDING = 7 days;

    receive() external payable {}

    function setUp() public {
        reg = new NodeRegistry(address(this), MIN, UNBONDING);
        reg.setSlasher(address(this), true);
    }

    function join(address who, uint256 stake) internal {
        vm.deal(who, stake);
        vm.prank(who);
        reg.register{value: stake}("node", "https://node.example");
    }

    function test_register_storesMetadataAndActivates() public {
        join(A, 2 ether);
        NodeRegistry.Operator memory o = reg.getOperator(A);
        assertEq(o.stake, 2 ether, "stake");
        assertTrue(keccak256(bytes(o.apiUrl)) == keccak256("https://node.example"), "api url");
        assertTrue(reg.isActive(A), "active");
        assertEq(reg.totalActiveStake(), 2 ether, "total active");
        assertEq(address(reg).balance, reg.totalHeld(), "held");
    }

    function testFuzz_register_belowMinimumReverts(uint256 stake) public {
        stake = bound(stake, 0, MIN - 1);
        vm.deal(A, stake);
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.StakeBelowMinimum.selector, stake, MIN));
        reg.register{value: stake}("node", "");
    }

    function test_register_twiceReverts() public {
        join(A, MIN);
        vm.deal(A, MIN);
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.AlreadyRegistered.selector, A));
        reg.register{value: MIN}("again", "");
    }

    function test_unbond_leavingDustReverts() public {
        join(A, 2 ether);
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.StakeBelowMinimum.selector, 0.5 ether, MIN));
        reg.unbond(1.5 ether);
    }

    function test_unbondAll_deactivatesAndWithdrawsAfterThePeriod() public {
        join(A, 2 ether);
        vm.prank(A);
        reg.unbond(2 ether);
        assertTrue(!reg.isActive(A), "inactive once unbonding everything");
        assertEq(reg.totalActiveStake(), 0, "total active");
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.UnbondingNotReady.selector, uint64(block.timestamp) + UNBONDING));
        reg.withdraw();
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(A);
        reg.withdraw();
        assertEq(A.balance, 2 ether, "stake back");
        assertEq(address(reg).balance, 0, "nothing held");
    }

    function test_slash_takesStakeThenUnbondingAndPaysTheSlasher() public {
        join(A, 3 ether);
        vm.prank(A);
        reg.unbond(1 ether); // 2 bonded, 1 unbonding
        uint256 before = address(this).balance;
        uint256 taken = reg.slash(A, 2.5 ether, "missed window");
        assertEq(taken, 2.5 ether, "taken");
        assertEq(address(this).balance - before, 2.5 ether, "sent to the slasher");
        NodeRegistry.Operator memory o = reg.getOperator(A);
        assertEq(o.stake, 0, "stake");
        assertEq(o.unbonding, 0.5 ether, "unbonding");
        assertEq(o.slashed, 2.5 ether, "slashed");
        assertEq(o.slashes, 1, "slash count");
        assertTrue(!reg.isActive(A), "inactive below the minimum");
        // Slashing more than is left takes what is left.
        assertEq(reg.slash(A, 10 ether, "again"), 0.5 ether, "rest");
    }

    function test_slash_onlySlashers() public {
        join(A, MIN);
        vm.prank(B);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotSlasher.selector, B));
        reg.slash(A, 1, "");
        vm.prank(B);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotSlasher.selector, B));
        reg.recordServed(A);
    }

    function test_counters() public {
        join(A, MIN);
        reg.recordServed(A);
        reg.recordServed(A);
        reg.recordMissed(A);
        NodeRegistry.Operator memory o = reg.getOperator(A);
        assertEq(o.served, 2, "served");
        assertEq(o.missed, 1, "missed");
    }

    function test_select_isProportionalToStake() public {
        join(A, 1 ether);
        join(B, 3 ether);
        // The stake line: [0, 1) is A, [1, 4) is B.
        assertEq(reg.select(0), A, "0");
        assertEq(reg.select(1 ether - 1), A, "end of A");
        assertEq(reg.select(1 ether), B, "start of B");
        assertEq(reg.select(4 ether + 5), A, "wraps");
        uint256 forA;
        for (uint256 i = 0; i < 400; i++) {
            if (reg.select(uint256(keccak256(abi.encode(i)))) == A) forA++;
        }
        // Expect 100 of 400; 3 sigma is about 26.
        assertTrue(forA > 70 && forA < 130, "A drawn about a quarter of the time");
    }

    function testFuzz_select_returnsAnActiveOperator(uint256 seed, uint256 sa, uint256 sb) public {
        join(A, bound(sa, MIN, 100 ether));
        join(B, bound(sb, MIN, 100 ether));
        address who = reg.select(seed);
        assertTrue(who == A || who == B, "an operator");
        assertTrue(reg.isActive(who), "active");
    }

    function test_select_withNobodyReverts() public {
        vm.expectRevert(NodeRegistry.NoActiveOperator.selector);
        reg.select(1);
    }
}

/// @dev Random registrations, top-ups, unbondings, withdrawals, slashes and time jumps, with a
/// ghost ledger of every wei in and out.
contract StakeHandler is TestBase {
    NodeRegistry internal immutable reg;
    address[] public actors;
    uint256 public ghostIn;
    uint256 public ghostOut;
    uint256 public ghostSlashed;

    constructor(NodeRegistry reg_) {
        reg = reg_;
        for (uint160 i = 1; i <= 5; i++) actors.push(address(0x2000 + i));
    }

    receive() external payable {}

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function register(uint256 who, uint256 stake) external {
        address a = actors[bound(who, 0, actors.length - 1)];
        stake = bound(stake, 0, 10 ether);
        vm.deal(a, stake);
        vm.prank(a);
        try reg.register{value: stake}("n", "u") {
            ghostIn += stake;
        } catch {}
    }

    function addStake(uint256 who, uint256 amount) external {
        address a = actors[bound(who, 0, actors.length - 1)];
        amount = bound(amount, 0, 5 ether);
        vm.deal(a, amount);
        vm.prank(a);
        try reg.addStake{value: amount}() {
            ghostIn += amount;
        } catch {}
    }

    function unbond(uint256 who, uint256 amount) external {
        address a = actors[bound(who, 0, actors.length - 1)];
        vm.prank(a);
        try reg.unbond(bound(amount, 0, 12 ether)) {} catch {}
    }

    function withdraw(uint256 who) external {
        address a = actors[bound(who, 0, actors.length - 1)];
        uint256 before = a.balance;
        vm.prank(a);
        try reg.withdraw() {
            ghostOut += a.balance - before;
        } catch {}
    }

    function slash(uint256 who, uint256 amount) external {
        address a = actors[bound(who, 0, actors.length - 1)];
        uint256 taken = reg.slash(a, bound(amount, 0, 12 ether), "test");
        ghostOut += taken;
        ghostSlashed += taken;
    }

    function warp(uint256 s) external {
        vm.warp(block.timestamp + bound(s, 0, 10 days));
    }
}

contract NodeRegistryInvariantTest is TestBase {
    NodeRegistry internal reg;
    StakeHandler internal handler;

    function setUp() public {
        reg = new NodeRegistry(address(this), 1 ether, 7 days);
        handler = new StakeHandler(reg);
        reg.setSlasher(address(handler), true);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Every wei staked is still held, withdrawn by its operator, or slashed to the slasher.
    function invariant_stakeIsConserved() public view {
        assertEq(handler.ghostIn() - handler.ghostOut(), address(reg).balance, "ghost ledger");
        assertEq(address(reg).balance, reg.totalHeld(), "held");
        uint256 sum;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            NodeRegistry.Operator memory o = reg.getOperator(handler.actors(i));
            sum += o.stake + o.unbonding;
        }
        assertEq(sum, reg.totalHeld(), "held = sum of stakes and unbondings");
        assertEq(address(handler).balance, handler.ghostSlashed(), "slashes reached the slasher");
    }

    /// The active list is exactly the operators at or above the minimum, and the selection total is their stake.
    function invariant_activeSetMatchesStakes() public view {
        uint256 sum;
        address[] memory act = reg.activeOperators();
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            NodeRegistry.Operator memory o = reg.getOperator(a);
            bool eligible = o.stake >= reg.minStake() && o.stake > 0;
            assertTrue(eligible == reg.isActive(a), "active iff staked at the minimum");
            if (eligible) sum += o.stake;
        }
        uint256 listed;
        for (uint256 i = 0; i < act.length; i++) listed += reg.getOperator(act[i]).stake;
        assertEq(listed, sum, "listed stake");
        assertEq(reg.totalActiveStake(), sum, "total active stake");
    }
}
