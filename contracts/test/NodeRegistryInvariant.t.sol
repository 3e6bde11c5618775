// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

/// @dev Random registrations, top-ups, unbondings, withdrawals, slashes, opt-ins and opt-outs,
/// minimum-stake changes through the timelock and time jumps, with a ghost ledger of every wei
/// in and out. The handler owns the registry and is its slasher.
contract StakeHandler is TestBase {
    NodeRegistry internal immutable reg;
    address[] public actors;
    bytes32[] public models;
    uint256 public ghostIn;
    uint256 public ghostOut;
    uint256 public ghostSlashed;
    uint256 public ghostFees;

    constructor(NodeRegistry reg_) {
        reg = reg_;
        for (uint160 i = 1; i <= 6; i++) actors.push(address(0x2000 + i));
        for (uint256 m = 1; m <= 3; m++) models.push(keccak256(abi.encode("model", m)));
    }

    receive() external payable {}

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function modelCount() external view returns (uint256) {
        return models.length;
    }

    function _actor(uint256 who) internal view returns (address) {
        return actors[bound(who, 0, actors.length - 1)];
    }

    function _model(uint256 which) internal view returns (bytes32) {
        return models[bound(which, 0, models.length - 1)];
    }

    function register(uint256 who, uint256 stake) external {
        address a = _actor(who);
        stake = bound(stake, 0, 10 ether);
        vm.deal(a, stake);
        vm.prank(a);
        try reg.register{value: stake}("n", "u") {
            ghostIn += stake;
        } catch {}
    }

    function addStake(uint256 who, uint256 amount) external {
        address a = _actor(who);
        amount = bound(amount, 0, 5 ether);
        vm.deal(a, amount);
        vm.prank(a);
        try reg.addStake{value: amount}() {
            ghostIn += amount;
        } catch {}
    }

    function unbond(uint256 who, uint256 amount) external {
        address a = _actor(who);
        vm.prank(a);
        try reg.unbond(bound(amount, 0, 12 ether)) {} catch {}
    }

    /// An operator withdraws its unbonded stake, or (`fees`) its credited fees.
    function withdraw(uint256 who, bool fees) external {
        address a = _actor(who);
        uint256 before = a.balance;
        vm.prank(a);
        (bool ok,) = address(reg).call(abi.encodeWithSelector(fees ? reg.withdrawFees.selector : reg.withdraw.selector));
        if (!ok) return;
        ghostOut += a.balance - before;
        if (fees) ghostFees -= a.balance - before;
    }

    function slash(uint256 who, uint256 amount) external {
        uint256 taken = reg.slash(_actor(who), bound(amount, 0, 12 ether), "test");
        ghostOut += taken;
        ghostSlashed += taken;
    }

    /// A committee's majority paid: `value` shared among up to three actors (repeats allowed).
    function payFees(uint256 who, uint256 n, uint256 value) external {
        n = bound(n, 1, 3);
        value = bound(value, 0, 3 ether);
        address[] memory payees = new address[](n);
        for (uint256 i = 0; i < n; i++) payees[i] = _actor(who + i * 7);
        vm.deal(address(this), address(this).balance + value);
        reg.recordServedBy{value: value}(payees);
        ghostIn += value;
        ghostFees += value;
    }

    function serve(uint256 who, uint256 which) external {
        vm.prank(_actor(who));
        try reg.serveModel(_model(which)) {} catch {}
    }

    function stopServing(uint256 who, uint256 which) external {
        vm.prank(_actor(who));
        try reg.stopServing(_model(which)) {} catch {}
    }

    /// A new minimum through the timelock, then every operator refreshed (as a keeper would).
    function setMinStake(uint256 minStake) external {
        bytes memory data = abi.encodeCall(NodeRegistry.setParameters, (bound(minStake, 0.5 ether, 3 ether), 7 days));
        reg.scheduleChange(data);
        vm.warp(block.timestamp + reg.adminDelay());
        reg.executeChange(data);
        for (uint256 i = 0; i < actors.length; i++) try reg.refresh(actors[i]) {} catch {}
    }

    function warp(uint256 s) external {
        vm.warp(block.timestamp + bound(s, 0, 10 days));
    }
}

contract NodeRegistryInvariantTest is TestBase {
    NodeRegistry internal reg;
    StakeHandler internal handler;

    function setUp() public {
        reg = new NodeRegistry(address(this), 14 days, 1 ether, 7 days);
        handler = new StakeHandler(reg);
        address[] memory slashers = new address[](1);
        slashers[0] = address(handler);
        reg.initSlashers(slashers);
        reg.transferOwnership(address(handler));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Every wei staked or paid in fees is still held, withdrawn by its operator, or slashed to
    /// the slasher; slashes never touch fees.
    function invariant_stakeIsConserved() public view {
        assertEq(handler.ghostIn() - handler.ghostOut(), address(reg).balance, "ghost ledger");
        uint256 sum;
        uint256 fees;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            NodeRegistry.Operator memory o = reg.getOperator(handler.actors(i));
            sum += o.stake + o.unbonding;
            fees += o.fees;
        }
        assertEq(sum, reg.totalHeld(), "held = sum of stakes and unbondings");
        assertEq(fees, handler.ghostFees(), "fees credited and not withdrawn");
        assertEq(address(reg).balance, reg.totalHeld() + fees, "balance = held + fees");
        assertEq(address(handler).balance, handler.ghostSlashed(), "slashes reached the slasher");
    }

    /// The active list is exactly the operators at or above the minimum, and the active total is their stake.
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

    /// Per model: the servers are exactly the active operators that opted in, the tree's total is
    /// their summed stake, and each leaf holds its operator's stake.
    function invariant_treeMatchesActiveServers() public view {
        for (uint256 m = 0; m < handler.modelCount(); m++) {
            bytes32 model = handler.models(m);
            uint256 stakes;
            uint256 leaves;
            uint256 servers;
            for (uint256 i = 0; i < handler.actorCount(); i++) {
                address a = handler.actors(i);
                bool optedIn;
                bytes32[] memory served = reg.servedModels(a);
                for (uint256 k = 0; k < served.length; k++) if (served[k] == model) optedIn = true;
                assertTrue(reg.canServe(a, model) == (optedIn && reg.isActive(a)), "can serve iff active and opted in");
                uint256 leaf = reg.servingStake(a, model);
                if (reg.canServe(a, model)) {
                    stakes += reg.getOperator(a).stake;
                    servers++;
                    assertEq(leaf, reg.getOperator(a).stake, "leaf holds the stake");
                } else {
                    assertEq(leaf, 0, "no leaf for a non-server");
                }
                leaves += leaf;
            }
            assertEq(reg.modelStake(model), stakes, "tree total = servers' stake");
            assertEq(leaves, stakes, "leaves sum to the total");
            assertEq(reg.serversOf(model).length, servers, "servers list");
        }
    }

    /// Draws only ever return operators that can serve the model.
    function invariant_drawsOnlyServers() public view {
        for (uint256 m = 0; m < handler.modelCount(); m++) {
            bytes32 model = handler.models(m);
            if (reg.modelStake(model) == 0) continue;
            for (uint256 s = 0; s < 16; s++) {
                uint256 seed = uint256(keccak256(abi.encode(s, block.timestamp)));
                assertTrue(reg.canServe(reg.select(model, seed), model), "select returns a server");
            }
            address[] memory members = reg.drawCommittee(model, block.timestamp, 4, 1, new address[](0));
            for (uint256 i = 0; i < members.length; i++) {
                assertTrue(reg.canServe(members[i], model), "committee member is a server");
                for (uint256 j = 0; j < i; j++) assertTrue(members[i] != members[j], "distinct");
            }
        }
    }
}
