// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {Timelocked} from "../src/Timelocked.sol";

/// @dev forge 1.x cheatcode missing from forge-std 1.1.2's Vm: marks an account's storage cold,
/// so a gas measurement inside a test sees what a fresh transaction would pay.
interface ICoolVm {
    function cool(address target) external;
    function pauseGasMetering() external;
    function resumeGasMetering() external;
}

contract NodeRegistryTest is TestBase {
    NodeRegistry internal reg;
    address internal constant A = address(0xA11CE);
    address internal constant B = address(0xB0B);
    address internal constant C = address(0xC0C0);
    address internal constant MALLORY = address(0xBAD);
    bytes32 internal constant M = keccak256("model");
    bytes32 internal constant M2 = keccak256("other model");
    uint256 internal constant MIN = 1 ether;
    uint64 internal constant UNBONDING = 7 days;
    uint64 internal constant DELAY = 14 days;

    receive() external payable {}

    function setUp() public {
        reg = new NodeRegistry(address(this), DELAY, MIN, UNBONDING);
        address[] memory slashers = new address[](1);
        slashers[0] = address(this);
        reg.initSlashers(slashers);
    }

    function join(address who, uint256 stake) internal {
        vm.deal(who, stake);
        vm.prank(who);
        reg.register{value: stake}("node", "https://node.example");
    }

    function joinServing(address who, uint256 stake, bytes32 modelId) internal {
        join(who, stake);
        vm.prank(who);
        reg.serveModel(modelId);
    }

    /// @dev Schedules `data`, waits the admin delay and executes it.
    function timelocked(bytes memory data) internal {
        reg.scheduleChange(data);
        vm.warp(block.timestamp + DELAY);
        reg.executeChange(data);
    }

    // ---------------------------------------------------------------- staking (unchanged behaviour)

    function test_register_storesMetadataAndActivatesButServesNothing() public {
        join(A, 2 ether);
        NodeRegistry.Operator memory o = reg.getOperator(A);
        assertEq(o.stake, 2 ether, "stake");
        assertTrue(keccak256(bytes(o.apiUrl)) == keccak256("https://node.example"), "api url");
        assertTrue(reg.isActive(A), "active");
        assertEq(reg.totalActiveStake(), 2 ether, "total active");
        assertEq(address(reg).balance, reg.totalHeld(), "held");
        assertTrue(!reg.canServe(A, M), "registering opts in to nothing");
        assertEq(reg.modelStake(M), 0, "no drawable stake");
        assertEq(reg.servedModels(A).length, 0, "no models");
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

    function test_unbondAll_deactivatesStopsServingAndWithdrawsAfterThePeriod() public {
        joinServing(A, 2 ether, M);
        vm.prank(A);
        reg.unbond(2 ether);
        assertTrue(!reg.isActive(A), "inactive once unbonding everything");
        assertTrue(!reg.canServe(A, M), "not drawable");
        assertEq(reg.modelStake(M), 0, "model stake");
        assertEq(reg.serversOf(M).length, 0, "no servers");
        assertEq(reg.servedModels(A).length, 1, "the opt-in stays");
        assertEq(reg.totalActiveStake(), 0, "total active");
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.UnbondingNotReady.selector, uint64(block.timestamp) + UNBONDING));
        reg.withdraw();
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(A);
        reg.withdraw();
        assertEq(A.balance, 2 ether, "stake back");
        assertEq(address(reg).balance, 0, "nothing held");
        // Staking again makes it drawable for the models it still serves.
        vm.deal(A, MIN);
        vm.prank(A);
        reg.addStake{value: MIN}();
        assertTrue(reg.canServe(A, M), "drawable again");
        assertEq(reg.modelStake(M), MIN, "model stake again");
    }

    function test_slash_takesStakeThenUnbondingAndPaysTheSlasher() public {
        joinServing(A, 3 ether, M);
        vm.prank(A);
        reg.unbond(1 ether); // 2 bonded, 1 unbonding
        assertEq(reg.modelStake(M), 2 ether, "serving stake after unbonding");
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
        assertTrue(!reg.canServe(A, M), "no longer drawable");
        assertEq(reg.modelStake(M), 0, "model stake");
        // Slashing more than is left takes what is left.
        assertEq(reg.slash(A, 10 ether, "again"), 0.5 ether, "rest");
    }

    function test_slash_partialKeepsServingWithTheRest() public {
        joinServing(A, 3 ether, M);
        reg.slash(A, 1 ether, "late");
        assertTrue(reg.canServe(A, M), "still serving");
        assertEq(reg.modelStake(M), 2 ether, "model stake follows the slash");
        assertEq(reg.servingStake(A, M), 2 ether, "leaf follows the slash");
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
        address[] memory both = new address[](2);
        both[0] = A;
        both[1] = A;
        reg.recordServedBy(both);
        NodeRegistry.Operator memory o = reg.getOperator(A);
        assertEq(o.served, 4, "served");
        assertEq(o.missed, 1, "missed");
        assertEq(o.fees, 0, "no fee came with them");
    }

    function test_recordServedBy_sharesTheValue_restToTheFirst_andWithdrawFeesPaysIt() public {
        join(A, MIN);
        join(B, MIN);
        address[] memory three = new address[](3);
        (three[0], three[1], three[2]) = (B, A, A);
        vm.expectEmit(false, false, false, true, address(reg));
        emit NodeRegistry.ServedBy(three, 33, 34);
        reg.recordServedBy{value: 100}(three);
        assertEq(reg.getOperator(B).fees, 34, "the first: its share and the rest");
        assertEq(reg.getOperator(A).fees, 66, "listed twice, paid twice");
        assertEq(reg.getOperator(A).served, 2, "and counted twice");
        assertEq(address(reg).balance, reg.totalHeld() + 100, "fees held beside the stakes");
        uint256 before = A.balance;
        vm.prank(A);
        reg.withdrawFees();
        assertEq(A.balance - before, 66, "paid out");
        assertEq(reg.getOperator(A).fees, 0, "and cleared");
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NothingToWithdraw.selector, A));
        reg.withdrawFees();
        address[] memory none = new address[](0);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.InvalidAmount.selector, 0));
        reg.recordServedBy{value: 1}(none);
    }

    /// @dev Fees are earned, not staked: a slash takes stake only, and an operator slashed to
    /// nothing and unregistered still withdraws its fees; a reentrant withdrawal gets nothing more.
    function test_attack_slashNeverTakesFees_andReentrantWithdrawFeesGetsNothingMore() public {
        FeeReenterer r = new FeeReenterer(reg);
        vm.deal(address(r), MIN);
        r.join(MIN);
        address[] memory one = new address[](1);
        one[0] = address(r);
        reg.recordServedBy{value: 1 ether}(one);
        uint256 taken = reg.slash(address(r), 10 ether, "test");
        assertEq(taken, MIN, "the whole stake, nothing more");
        assertEq(reg.getOperator(address(r)).fees, 1 ether, "the fees untouched");
        r.withdrawFees();
        assertEq(address(r).balance, 1 ether, "paid once");
        assertEq(r.reentered(), 1, "it tried again from its receive");
        assertEq(address(reg).balance, reg.totalHeld(), "nothing left of the fees");
    }

    // ---------------------------------------------------------------- opting in

    function test_serveModel_viewsAndEvent() public {
        join(A, 2 ether);
        vm.expectEmit(true, true, false, true, address(reg));
        emit NodeRegistry.ServingStarted(A, M, 2 ether);
        vm.prank(A);
        reg.serveModel(M);
        vm.prank(A);
        reg.serveModel(M2);
        assertTrue(reg.canServe(A, M) && reg.canServe(A, M2), "serves both");
        bytes32[] memory models = reg.servedModels(A);
        assertEq(models.length, 2, "two models");
        assertEq(models[0], M, "first");
        assertEq(models[1], M2, "second");
        assertEq(reg.serversOf(M)[0], A, "server of M");
        assertEq(reg.modelStake(M), 2 ether, "M stake");
        assertEq(reg.modelStake(M2), 2 ether, "M2 stake");
    }

    function test_serveModel_errors() public {
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotRegistered.selector, A));
        reg.serveModel(M);
        joinServing(A, MIN, M);
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.AlreadyServing.selector, A, M));
        reg.serveModel(M);
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotServing.selector, A, M2));
        reg.stopServing(M2);
    }

    function test_serveModel_tooManyModelsReverts() public {
        join(A, MIN);
        vm.startPrank(A);
        for (uint256 i = 0; i < 16; i++) reg.serveModel(bytes32(i + 1));
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.TooManyModels.selector, A, 16));
        reg.serveModel(bytes32(uint256(17)));
        // Stopping one makes room again.
        reg.stopServing(bytes32(uint256(3)));
        reg.serveModel(bytes32(uint256(17)));
        vm.stopPrank();
        assertEq(reg.servedModels(A).length, 16, "sixteen models");
        assertTrue(!reg.canServe(A, bytes32(uint256(3))), "stopped one");
        assertTrue(reg.canServe(A, bytes32(uint256(17))), "new one");
    }

    function test_stopServing_removesFromDraws() public {
        joinServing(A, 1 ether, M);
        joinServing(B, 3 ether, M);
        vm.expectEmit(true, true, false, true, address(reg));
        emit NodeRegistry.ServingStopped(B, M);
        vm.prank(B);
        reg.stopServing(M);
        assertTrue(!reg.canServe(B, M), "B stopped");
        assertTrue(reg.isActive(B), "B still active");
        assertEq(reg.modelStake(M), 1 ether, "only A's stake");
        assertEq(reg.serversOf(M).length, 1, "one server");
        for (uint256 i = 0; i < 50; i++) assertEq(reg.select(M, uint256(keccak256(abi.encode(i)))), A, "only A drawn");
        // B's freed leaf is reused by the next server.
        joinServing(C, 2 ether, M);
        assertEq(reg.modelStake(M), 3 ether, "A and C");
        assertEq(reg.servingStake(C, M), 2 ether, "C's leaf");
        assertEq(reg.servingStake(A, M), 1 ether, "A's leaf untouched");
    }

    function testFuzz_select_neverDrawsAnOperatorThatDoesNotServeTheModel(uint256 seed, uint256 sb) public {
        joinServing(A, 1 ether, M);
        joinServing(B, bound(sb, MIN, 1000 ether), M2); // the whale serves another model only
        joinServing(C, 2 ether, M2);
        vm.prank(C);
        reg.serveModel(M);
        address who = reg.select(M, seed);
        assertTrue(who == A || who == C, "a server of M");
        assertTrue(reg.canServe(who, M), "can serve");
        address[] memory members = reg.drawCommittee(M, seed, 5, 1, new address[](0));
        assertEq(members.length, 2, "both servers of M, nobody else");
        for (uint256 i = 0; i < members.length; i++) assertTrue(members[i] != B, "B never drawn for M");
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NoServer.selector, keccak256("nobody")));
        reg.select(keccak256("nobody"), seed);
    }

    function test_select_isProportionalToStake() public {
        joinServing(A, 1 ether, M);
        joinServing(B, 3 ether, M);
        // The stake line (leaves from the top of the tree: B before A): [0, 3) is B, [3, 4) is A.
        assertEq(reg.select(M, 0), B, "0");
        assertEq(reg.select(M, 3 ether - 1), B, "end of B");
        assertEq(reg.select(M, 3 ether), A, "start of A");
        assertEq(reg.select(M, 4 ether + 5), B, "wraps");
        uint256 forA;
        for (uint256 i = 0; i < 400; i++) {
            if (reg.select(M, uint256(keccak256(abi.encode(i)))) == A) forA++;
        }
        // Expect 100 of 400; 3 sigma is about 26. The seeds are fixed, so this never flakes.
        assertTrue(forA > 70 && forA < 130, "A drawn about a quarter of the time");
    }

    function testFuzz_select_returnsAServer(uint256 seed, uint256 sa, uint256 sb) public {
        joinServing(A, bound(sa, MIN, 100 ether), M);
        joinServing(B, bound(sb, MIN, 100 ether), M);
        address who = reg.select(M, seed);
        assertTrue(who == A || who == B, "an operator");
        assertTrue(reg.canServe(who, M), "can serve");
    }

    function test_select_withNobodyReverts() public {
        join(A, MIN); // active, but serving nothing
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NoServer.selector, M));
        reg.select(M, 1);
    }

    function test_drawCommittee_distinctAvoidsExcludedAndFillsUp() public {
        address[] memory ops = new address[](6);
        for (uint256 i = 0; i < 6; i++) {
            ops[i] = address(uint160(0x5000 + i));
            joinServing(ops[i], MIN + i * 0.1 ether, M);
        }
        join(B, 50 ether); // not serving M: never a member
        address[] memory exclude = new address[](2);
        exclude[0] = ops[0];
        exclude[1] = ops[1];
        for (uint256 seed = 0; seed < 20; seed++) {
            address[] memory m = reg.drawCommittee(M, seed, 4, 3, exclude);
            assertEq(m.length, 4, "size");
            for (uint256 i = 0; i < 4; i++) {
                assertTrue(m[i] != ops[0] && m[i] != ops[1], "excluded while enough others serve");
                assertTrue(reg.canServe(m[i], M), "a server");
                for (uint256 j = 0; j < i; j++) assertTrue(m[i] != m[j], "distinct");
            }
            // Asking for more than the others: the excluded fill the rest.
            m = reg.drawCommittee(M, seed, 6, 3, exclude);
            assertEq(m.length, 6, "everyone");
            // Asking for more than serve: everyone once.
            assertEq(reg.drawCommittee(M, seed, 10, 3, new address[](0)).length, 6, "capped at the servers");
        }
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotEnoughServers.selector, M, 6, 7));
        reg.drawCommittee(M, 1, 7, 7, exclude);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotEnoughServers.selector, M2, 0, 0));
        reg.drawCommittee(M2, 1, 3, 0, exclude);
    }

    // ---------------------------------------------------------------- draws at a past block

    /// @dev One fuzzed change by `a` on M, chosen by `op`: add stake, unbond, opt in, opt out (the
    /// last three may be refused) or be slashed, by an amount below `maxAmount`.
    function _randomStakeChange(address a, uint256 op, uint256 maxAmount) internal {
        uint256 amount = (op >> 8) % maxAmount;
        uint256 action = (op >> 128) % 5;
        vm.deal(a, amount + 1);
        vm.startPrank(a);
        if (action == 0) reg.addStake{value: amount + 1}();
        else if (action == 1) try reg.unbond(amount) {} catch {}
        else if (action == 2) try reg.serveModel(M) {} catch {}
        else if (action == 3) try reg.stopServing(M) {} catch {}
        vm.stopPrank();
        if (action == 4) reg.slash(a, amount, "fuzz");
    }


    mapping(uint256 => mapping(uint256 => address)) internal selectedAt;
    mapping(uint256 => mapping(uint256 => bytes32)) internal committeeAt;
    mapping(uint256 => mapping(uint256 => uint256)) internal seedAt;
    mapping(uint256 => bool) internal recordedAt;

    function _committeeHash(uint256 seed, address[] memory exclude) internal view returns (bytes32) {
        try reg.drawCommittee(M, seed, 3, 1, exclude) returns (address[] memory m) {
            return keccak256(abi.encode(m));
        } catch {
            return bytes32(0);
        }
    }

    /// A draw at a past block gives exactly what a draw at the end of that block gave, whatever
    /// happened since: stake added, unbonded, slashed, models left and rejoined (leaves freed and
    /// taken), two changes in one block.
    function testFuzz_drawsAtAPastBlockSeeThatBlocksStakes(uint256[16] memory ops) public {
        address[4] memory who = [A, B, C, MALLORY];
        for (uint256 i = 0; i < 4; i++) joinServing(who[i], 2 ether + i, M);
        address[] memory exclude = new address[](1);
        exclude[0] = B;
        uint256 first = block.number;
        for (uint256 k = 0; k < ops.length; k++) {
            _randomStakeChange(who[ops[k] % 4], ops[k], 2 ether);
            if ((ops[k] >> 250) % 2 == 0) reg.markDrawBlock(M); // a request, before or after the change
            if ((ops[k] >> 200) % 3 == 0) continue; // another change in the same block
            reg.markDrawBlock(M);
            recordedAt[block.number] = true;
            for (uint256 s = 0; s < 4; s++) {
                uint256 seed = uint256(keccak256(abi.encode(k, s)));
                seedAt[block.number][s] = seed;
                selectedAt[block.number][s] = reg.modelStake(M) == 0 ? address(0) : reg.select(M, seed);
                committeeAt[block.number][s] = _committeeHash(seed, exclude);
            }
            vm.roll(block.number + 1);
        }
        vm.roll(block.number + 1);
        for (uint256 b = first; b < block.number; b++) {
            if (!recordedAt[b]) continue;
            for (uint256 s = 0; s < 4; s++) {
                uint256 seed = seedAt[b][s];
                assertEq(reg.selectAt(M, seed, b), selectedAt[b][s], "select at a past block");
                bytes32 drawn;
                try reg.drawCommitteeAt(M, seed, 3, 1, exclude, b) returns (address[] memory m) {
                    drawn = keccak256(abi.encode(m));
                } catch {}
                assertEq(drawn, committeeAt[b][s], "committee at a past block");
            }
        }
    }

    function test_drawAt_refusesTheCurrentBlockAFutureOneAndOnesPastTheHistory() public {
        joinServing(A, 2 ether, M);
        reg.markDrawBlock(M);
        vm.roll(block.number + 300);
        address[] memory none = new address[](0);
        uint256 now_ = block.number;
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.DrawBlockOutOfRange.selector, now_, now_));
        reg.selectAt(M, 1, now_);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.DrawBlockOutOfRange.selector, now_ + 1, now_));
        reg.drawCommitteeAt(M, 1, 1, 1, none, now_ + 1);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.DrawBlockOutOfRange.selector, now_ - 257, now_));
        reg.selectAt(M, 1, now_ - 257);
        assertEq(reg.selectAt(M, 1, now_ - 256), A, "the oldest block blockhash still gives");
        assertEq(reg.selectAt(M, 1, now_ - 1), A, "the last block");
        assertEq(reg.selectAt(M2, 1, now_ - 1), address(0), "nobody served M2");
    }

    /// Only slashers mark draw blocks, and a stake change on a model with no draw block since its
    /// last change writes no history (it costs what it did before draws read past blocks).
    function test_markDrawBlock_onlySlashers_andHistoryOnlyWhereADrawCanReadIt() public {
        joinServing(A, 2 ether, M);
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotSlasher.selector, MALLORY));
        reg.markDrawBlock(M);
        vm.deal(A, 2 ether);
        vm.roll(block.number + 1);
        vm.prank(A);
        uint256 g = gasleft();
        reg.addStake{value: 1 ether}();
        uint256 unmarked = g - gasleft();
        assertEq(reg.markDrawBlock(M), 3 ether, "returns the model's stake");
        uint256 drawBlock = block.number;
        vm.roll(block.number + 1);
        vm.prank(A);
        g = gasleft();
        reg.addStake{value: 1 ether}();
        uint256 marked = g - gasleft();
        _log("addStake gas, 1 model, no draw block since the last change", unmarked);
        _log("addStake gas, 1 model, a draw block since the last change", marked);
        assertTrue(marked > unmarked, "history written only where a draw can read it");
        vm.roll(block.number + 1);
        assertEq(reg.selectAt(M, 0, drawBlock), A, "the draw block reads its stakes");
        assertEq(reg.modelStake(M), 4 ether, "now");
    }

    /// A leaf freed by an operator that stops serving is not handed to another operator while a
    /// draw may still read a block in which the first one held it.
    function test_freedLeaf_isNotReusedWhileADrawCanStillReadItsOwner() public {
        joinServing(A, 2 ether, M);
        reg.markDrawBlock(M);
        vm.roll(block.number + 1);
        uint256 aBlock = block.number - 1;
        vm.prank(A);
        reg.stopServing(M);
        joinServing(B, 3 ether, M); // would have taken A's leaf at once on the old code
        reg.markDrawBlock(M);
        vm.roll(block.number + 1);
        for (uint256 s = 0; s < 10; s++) assertEq(reg.selectAt(M, s * 1e17, aBlock), A, "A held all of M at that block");
        for (uint256 s = 0; s < 10; s++) assertEq(reg.selectAt(M, s * 1e17, block.number - 1), B, "B since");
        // Once no drawable block saw A, its leaf goes to the next newcomer.
        vm.roll(block.number + reg.DRAW_HISTORY() + 1);
        joinServing(C, 1 ether, M);
        reg.markDrawBlock(M);
        vm.roll(block.number + 1);
        uint256 forC;
        for (uint256 s = 0; s < 40; s++) if (reg.selectAt(M, uint256(keccak256(abi.encode(s))), block.number - 1) == C) forC++;
        assertTrue(forC > 0 && forC < 40, "B and C are both drawn");
        assertEq(reg.modelStake(M), 4 ether, "B and C");
    }

    /// Serving stake follows every stake change: the leaves sum to the model's stake, which is the
    /// stake of the operators that can serve it.
    function testFuzz_servingStakeFollowsStakeChanges(uint256[12] memory ops) public {
        address[3] memory who = [A, B, C];
        joinServing(A, 2 ether, M);
        joinServing(B, 3 ether, M);
        joinServing(C, 4 ether, M2);
        for (uint256 k = 0; k < ops.length; k++) {
            _randomStakeChange(who[ops[k] % 3], ops[k], 3 ether);
            uint256 leaves;
            uint256 stakes;
            for (uint256 i = 0; i < 3; i++) {
                leaves += reg.servingStake(who[i], M);
                if (reg.canServe(who[i], M)) stakes += reg.getOperator(who[i]).stake;
            }
            assertEq(leaves, reg.modelStake(M), "leaves sum to the model stake");
            assertEq(stakes, reg.modelStake(M), "model stake is the servers' stake");
        }
    }

    // ---------------------------------------------------------------- admin (timelock)

    function test_constructor_boundsTheAdminDelayAndParameters() public {
        vm.expectRevert(abi.encodeWithSelector(Timelocked.InvalidAdminDelay.selector, uint64(1 hours - 1)));
        new NodeRegistry(address(this), 1 hours - 1, MIN, UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(Timelocked.InvalidAdminDelay.selector, uint64(30 days + 1)));
        new NodeRegistry(address(this), 30 days + 1, MIN, UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.InvalidParameter.selector, "minStake", 0));
        new NodeRegistry(address(this), DELAY, 0, UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.InvalidParameter.selector, "unbondingPeriod", 90 days + 1));
        new NodeRegistry(address(this), DELAY, MIN, 90 days + 1);
        assertEq(uint256(reg.adminDelay()), uint256(DELAY), "delay");
    }

    function test_initSlashers_onlyOnceAndOnlyByTheOwner() public {
        address[] memory slashers = new address[](1);
        slashers[0] = MALLORY;
        vm.expectRevert(NodeRegistry.SlashersAlreadyInitialized.selector);
        reg.initSlashers(slashers);
        NodeRegistry fresh = new NodeRegistry(address(this), DELAY, MIN, UNBONDING);
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", MALLORY));
        fresh.initSlashers(slashers);
        assertTrue(!fresh.isSlasher(MALLORY), "not a slasher");
    }

    function test_setters_onlyThroughTheTimelock() public {
        vm.expectRevert(abi.encodeWithSelector(Timelocked.NotTimelocked.selector, address(this)));
        reg.setSlasher(MALLORY, true);
        vm.expectRevert(abi.encodeWithSelector(Timelocked.NotTimelocked.selector, address(this)));
        reg.setParameters(2 ether, UNBONDING);
        bytes memory data = abi.encodeCall(NodeRegistry.setParameters, (2 ether, 3 days));
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", MALLORY));
        reg.scheduleChange(data);
        vm.expectRevert(abi.encodeWithSelector(Timelocked.ChangeNotScheduled.selector, keccak256(data)));
        reg.executeChange(data);
        reg.scheduleChange(data);
        vm.warp(block.timestamp + DELAY);
        vm.expectEmit(true, false, false, true, address(reg));
        emit NodeRegistry.ParametersChanged(2 ether, 3 days);
        reg.executeChange(data);
        assertEq(reg.minStake(), 2 ether, "min stake");
        assertEq(uint256(reg.unbondingPeriod()), 3 days, "unbonding");
        vm.expectRevert(abi.encodeWithSelector(Timelocked.ChangeNotScheduled.selector, keccak256(data)));
        reg.executeChange(data); // once only
    }

    function test_executeChange_bubblesTheSettersRevert() public {
        bytes memory data = abi.encodeCall(NodeRegistry.setParameters, (0, UNBONDING));
        reg.scheduleChange(data);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.InvalidParameter.selector, "minStake", 0));
        reg.executeChange(data);
        data = abi.encodeCall(NodeRegistry.setParameters, (MIN, 90 days + 1));
        reg.scheduleChange(data);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.InvalidParameter.selector, "unbondingPeriod", 90 days + 1));
        reg.executeChange(data);
        data = abi.encodeCall(NodeRegistry.setSlasher, (address(0), true));
        reg.scheduleChange(data);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.InvalidParameter.selector, "slasher", 0));
        reg.executeChange(data);
    }

    function test_cancelChange() public {
        bytes memory data = abi.encodeCall(NodeRegistry.setSlasher, (MALLORY, true));
        bytes32 id = reg.scheduleChange(data);
        assertEq(id, keccak256(data), "id");
        vm.expectEmit(true, false, false, true, address(reg));
        emit Timelocked.ChangeCancelled(id);
        reg.cancelChange(data);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(Timelocked.ChangeNotScheduled.selector, id));
        reg.executeChange(data);
        vm.expectRevert(abi.encodeWithSelector(Timelocked.ChangeNotScheduled.selector, id));
        reg.cancelChange(data);
    }

    /// Attack 6: the owner made itself a slasher and took an operator's stake in one block. Now
    /// the setter is timelocked, and an operator who sees the change scheduled leaves first
    /// (adminDelay 14 days > unbondingPeriod 7 days).
    function test_attack6_ownerCannotInstantlyAddASlasherAndTakeStake() public {
        joinServing(A, 10 ether, M);
        // The old exploit: one direct call, then slash.
        vm.expectRevert(abi.encodeWithSelector(Timelocked.NotTimelocked.selector, address(this)));
        reg.setSlasher(MALLORY, true);
        // Scheduled: visible on chain, not executable before the delay.
        bytes memory data = abi.encodeCall(NodeRegistry.setSlasher, (MALLORY, true));
        vm.expectEmit(true, false, false, true, address(reg));
        emit Timelocked.ChangeScheduled(keccak256(data), data, uint64(block.timestamp) + DELAY);
        reg.scheduleChange(data);
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(Timelocked.ChangeNotReady.selector, keccak256(data), uint64(block.timestamp) + 1)
        );
        reg.executeChange(data);
        vm.warp(block.timestamp - DELAY + 1); // back to the block the change was scheduled in
        // The operator sees ChangeScheduled and unbonds everything at once.
        vm.prank(A);
        reg.unbond(10 ether);
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(A);
        reg.withdraw();
        assertEq(A.balance, 10 ether, "the operator got out whole");
        // The change executes after the delay, with nothing left to take.
        vm.warp(block.timestamp + DELAY - UNBONDING);
        reg.executeChange(data);
        assertTrue(reg.isSlasher(MALLORY), "slasher set, after the delay");
        vm.prank(MALLORY);
        assertEq(reg.slash(A, 10 ether, "confiscate"), 0, "nothing to take");
        assertEq(MALLORY.balance, 0, "the owner's slasher got nothing");
    }

    function test_refresh_appliesARaisedMinimumToTheTree() public {
        joinServing(A, 1 ether, M);
        joinServing(B, 3 ether, M);
        timelocked(abi.encodeCall(NodeRegistry.setParameters, (2 ether, UNBONDING)));
        assertTrue(reg.canServe(A, M), "until refreshed");
        vm.expectEmit(true, false, false, true, address(reg));
        emit NodeRegistry.ActivityRefreshed(A, false, 0);
        vm.prank(C); // anyone
        reg.refresh(A);
        assertTrue(!reg.isActive(A) && !reg.canServe(A, M), "A out");
        assertEq(reg.modelStake(M), 3 ether, "only B");
        for (uint256 i = 0; i < 20; i++) assertEq(reg.select(M, i * 1e17), B, "only B drawn");
        // Lowered again: A comes back.
        timelocked(abi.encodeCall(NodeRegistry.setParameters, (MIN, UNBONDING)));
        reg.refresh(A);
        assertTrue(reg.canServe(A, M), "A back");
        assertEq(reg.modelStake(M), 4 ether, "both");
    }

    // ---------------------------------------------------------------- gas

    function _gasSelect(uint256 seed) internal returns (uint256 used) {
        ICoolVm(address(vm)).cool(address(reg));
        uint256 g = gasleft();
        reg.select(M, seed);
        used = g - gasleft();
    }

    function _gasDraw(uint256 seed) internal returns (uint256 used) {
        address[] memory none = new address[](0);
        ICoolVm(address(vm)).cool(address(reg));
        uint256 g = gasleft();
        reg.drawCommittee(M, seed, 5, 3, none);
        used = g - gasleft();
    }

    /// @dev console.log(string, uint256) by its current selector (forge-std 1.1.2's console uses
    /// the old `log(string,uint)` one, which forge 1.x no longer prints).
    function _log(string memory what, uint256 value) internal view {
        (bool ok,) = address(0x000000000000000000636F6e736F6c652e6c6f67).staticcall(
            abi.encodeWithSignature("log(string,uint256)", what, value)
        );
        ok;
    }

    function _measure(uint256 rounds) internal returns (uint256 selectGas, uint256 drawGas) {
        for (uint256 s = 0; s < rounds; s++) {
            selectGas += _gasSelect(uint256(keccak256(abi.encode("s", s))));
            drawGas += _gasDraw(uint256(keccak256(abi.encode("d", s))));
        }
        selectGas /= rounds;
        drawGas /= rounds;
    }

    function _joinMany(uint256 from, uint256 to) internal {
        ICoolVm(address(vm)).pauseGasMetering(); // 10,000 registrations would pass the test's gas limit
        for (uint256 i = from; i < to; i++) joinServing(address(uint160(0x100000 + i)), MIN + i * 1e15, M);
        ICoolVm(address(vm)).resumeGasMetering();
    }

    /// Attack 9: draw gas never grows past a flat ceiling with the number of operators (at most
    /// a 16-level descent per draw, every slot cold as in a fresh transaction). A descent steps
    /// past the levels over leaves never handed out without reading them, so few operators cost
    /// less (`select` at 10 is at most its cost at 10,000); a committee of 5 makes 5+ descents
    /// whose paths share their top levels (warm reads), so it is cheaper at 10 and 1,000
    /// operators; its ceiling is 5 separate cold descents, which it cannot pass at any number.
    function test_gas_selectAndDrawAreFlatInOperatorCount() public {
        _joinMany(0, 10);
        (uint256 select10, uint256 draw10) = _measure(8);
        _joinMany(10, 1_000);
        (uint256 select1k, uint256 draw1k) = _measure(8);
        _joinMany(1_000, 10_000);
        assertEq(reg.serversOf(M).length, 10_000, "servers");
        (uint256 select10k, uint256 draw10k) = _measure(8);
        _log("select gas at 10 operators", select10);
        _log("select gas at 1000 operators", select1k);
        _log("select gas at 10000 operators", select10k);
        _log("drawCommittee(5) gas at 10 operators", draw10);
        _log("drawCommittee(5) gas at 1000 operators", draw1k);
        _log("drawCommittee(5) gas at 10000 operators", draw10k);
        // A stake change in a model with 10,000 servers: one leaf, at most 17 tree nodes.
        address mid = address(uint160(0x100000 + 5_000));
        vm.deal(mid, 1 ether);
        ICoolVm(address(vm)).cool(address(reg));
        vm.prank(mid);
        uint256 g = gasleft();
        reg.addStake{value: 1 ether}();
        _log("addStake gas, serving 1 model with 10000 servers", g - gasleft());
        assertTrue(select10 <= select1k && select1k <= select10k, "fewer operators, fewer levels read");
        assertTrue(select10k < 60_000, "a select reads at most the 16 levels");
        assertTrue(draw10 <= draw1k && draw1k <= draw10k, "shared paths only make small counts cheaper");
        assertTrue(draw10k < 5 * select10k, "a committee of 5 costs less than 5 cold selects");
    }

    /// What a stake change costs an operator serving 1 and 16 models (every leaf is updated).
    function test_gas_stakeChangeServingOneAndSixteenModels() public {
        for (uint256 i = 0; i < 5; i++) {
            address o = address(uint160(0x7000 + i));
            join(o, 2 ether);
            vm.startPrank(o);
            for (uint256 m = 0; m < 16; m++) reg.serveModel(bytes32(m + 1));
            vm.stopPrank();
        }
        joinServing(A, 2 ether, M);
        join(B, 2 ether);
        vm.startPrank(B);
        for (uint256 m = 0; m < 16; m++) reg.serveModel(bytes32(m + 1));
        vm.stopPrank();
        vm.deal(A, 1 ether);
        vm.deal(B, 1 ether);
        // A later block: each node a change touches keeps its old value for past-block draws.
        vm.roll(block.number + 1);
        ICoolVm(address(vm)).cool(address(reg));
        vm.prank(A);
        uint256 g = gasleft();
        reg.addStake{value: 1 ether}();
        uint256 one = g - gasleft();
        ICoolVm(address(vm)).cool(address(reg));
        vm.prank(B);
        g = gasleft();
        reg.addStake{value: 1 ether}();
        uint256 sixteen = g - gasleft();
        vm.roll(block.number + 1);
        ICoolVm(address(vm)).cool(address(reg));
        g = gasleft();
        reg.slash(B, 0.5 ether, "gas");
        uint256 slash16 = g - gasleft();
        // Every model requested since: each node the change touches keeps its old value.
        for (uint256 m = 0; m < 16; m++) reg.markDrawBlock(bytes32(m + 1));
        vm.roll(block.number + 1);
        vm.deal(B, 1 ether);
        ICoolVm(address(vm)).cool(address(reg));
        vm.prank(B);
        g = gasleft();
        reg.addStake{value: 1 ether}();
        uint256 sixteenBusy = g - gasleft();
        for (uint256 m = 0; m < 16; m++) reg.markDrawBlock(bytes32(m + 1));
        vm.roll(block.number + 1);
        ICoolVm(address(vm)).cool(address(reg));
        g = gasleft();
        reg.slash(B, 0.5 ether, "gas");
        uint256 slash16Busy = g - gasleft();
        _log("addStake gas, serving 1 model", one);
        _log("addStake gas, serving 16 models", sixteen);
        _log("slash gas, serving 16 models", slash16);
        _log("addStake gas, serving 16 models, each requested since the last change", sixteenBusy);
        _log("slash gas, serving 16 models, each requested since the last change", slash16Busy);
        assertTrue(slash16Busy < 2_000_000, "a slash of a busy operator stays affordable");
        assertTrue(sixteen < 16 * one, "linear in the models served, no worse");
        assertTrue(slash16 < 1_000_000, "a slash stays affordable for a slasher's transaction");
    }
}

/// @dev An operator that calls `withdrawFees` again from its `receive`.
contract FeeReenterer {
    NodeRegistry internal immutable reg;
    uint256 public reentered;

    constructor(NodeRegistry reg_) {
        reg = reg_;
    }

    function join(uint256 stake) external {
        reg.register{value: stake}("r", "");
    }

    function withdrawFees() external {
        reg.withdrawFees();
    }

    receive() external payable {
        if (msg.sender != address(reg) || reentered != 0) return;
        reentered++;
        try reg.withdrawFees() {} catch {}
    }
}
