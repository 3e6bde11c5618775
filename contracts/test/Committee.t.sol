// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CoprocessorViews} from "../src/CoprocessorViews.sol";
import {Deployment} from "./utils/Deployment.sol";
import {Specs} from "./utils/Specs.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {Committee} from "../src/Committee.sol";
import {CommitteeBase} from "../src/CommitteeBase.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {Timelocked} from "../src/Timelocked.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {IVerityConsumer} from "../src/interfaces/IVerityConsumer.sol";
import {Poseidon8, Poseidon8Deployer} from "../src/Poseidon8.sol";

/// @dev Records the agreed-mode answer it is called back with.
contract AnswerConsumer is IVerityConsumer {
    uint256 public lastRequestId;
    bytes public lastAnswer;
    uint256 public calls;

    function onVerityResult(uint256 requestId, bytes calldata output) external {
        lastRequestId = requestId;
        lastAnswer = output;
        calls++;
    }
}

contract CommitteeFixture is Deployment {
    ModelRegistry internal registry;
    NodeRegistry internal nodes;
    Coprocessor internal coprocessor;
    Committee internal committee;
    AnswerConsumer internal consumer;
    bytes32 internal modelId;
    address internal modelOwner = address(0xA11CE);
    uint32 internal constant CB_GAS = 100_000;
    uint256 internal constant OPERATORS = 12;
    address[] internal operators;

    function setUp() public virtual {
        registry = new ModelRegistry(0);
        nodes = new NodeRegistry(address(this), ADMIN_DELAY, 1 ether, 7 days);
        coprocessor = new Coprocessor(registry, Poseidon8Deployer.deploy(), nodes, address(this), ADMIN_DELAY, coprocessorParameters());
        CommitteeBase.Parameters memory p = committeeParameters();
        p.maxRounds = 4;
        committee = new Committee(nodes, registry, address(this), ADMIN_DELAY, p);
        committee.initCoprocessor(address(coprocessor));
        coprocessor.initCommittee(address(committee));
        address[] memory slashers = new address[](2);
        (slashers[0], slashers[1]) = (address(coprocessor), address(committee));
        nodes.initSlashers(slashers);
        vm.prank(modelOwner);
        modelId = registry.registerModel("film-critic", IModelRegistry.Mode.Agreed, Specs.agreed(keccak256("llama")), 0.002 ether);
        for (uint256 i = 0; i < OPERATORS; i++) {
            address op = address(uint160(0x1000 + i));
            operators.push(op);
            vm.deal(op, 3 ether);
            vm.prank(op);
            nodes.register{value: 1 ether + i * 0.1 ether}("validator", "http://localhost");
            vm.prank(op);
            nodes.serveModel(modelId);
        }
        string[] memory labels = new string[](2);
        (labels[0], labels[1]) = ("loved", "not loved");
        vm.prank(modelOwner);
        committee.setRule(modelId, CommitteeBase.Criterion.Label, 0, labels, "Did the critics love the film? Answer loved or not loved.");
        consumer = new AnswerConsumer();
    }

    bytes internal constant QUESTION = "Did the critics love Dune: Part Two?";

    /// @dev A request whose committee is not drawn yet (phase Drawing).
    function askUndrawn() internal returns (uint256 id) {
        uint256 fee = coprocessor.quote(modelId, CB_GAS);
        vm.deal(address(consumer), fee);
        vm.prank(address(consumer));
        id = coprocessor.request{value: fee}(modelId, QUESTION, CB_GAS);
    }

    /// @dev A request, and its committee drawn in the next block.
    function ask() internal returns (uint256 id) {
        id = askUndrawn();
        drawNext(id);
    }

    function drawNext(uint256 id) internal {
        vm.roll(block.number + 1);
        committee.draw(id);
    }

    /// @dev An appeal with the current bond, and its committee drawn in the next block.
    function appealAs(uint256 id, address appellant) internal returns (uint256 bond) {
        bond = appealUndrawn(id, appellant);
        drawNext(id);
    }

    /// @dev An appeal with the current bond, its committee not drawn yet (phase Drawing).
    function appealUndrawn(uint256 id, address appellant) internal returns (uint256 bond) {
        bond = committee.appealBondFor(id);
        vm.deal(appellant, bond);
        vm.prank(appellant);
        committee.appeal{value: bond}(id);
    }

    function members(uint256 id, uint8 round) internal view returns (address[] memory) {
        return committee.getRound(id, round).members;
    }

    function salt(address member) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", member));
    }

    function seatOf(uint256 id, uint8 round, address member) internal view returns (uint256) {
        address[] memory m = members(id, round);
        for (uint256 i = 0; i < m.length; i++) if (m[i] == member) return i;
        revert("not a member");
    }

    function commitAs(uint256 id, uint8 round, address member, CommitteeBase.Vote v) internal {
        bytes32 c = committee.commitmentOf(id, round, member, v, salt(member));
        uint256 seat = seatOf(id, round, member);
        vm.prank(member);
        committee.commit(id, seat, c);
    }

    function revealAs(uint256 id, address member, CommitteeBase.Vote v) internal {
        uint256 seat = seatOf(id, committee.getTask(id).round, member);
        vm.prank(member);
        committee.reveal(id, seat, v, salt(member));
    }

    /// @dev Voters of the current round vote `votes[i]` (None: stays silent), in commit then reveal order.
    function vote(uint256 id, CommitteeBase.Vote[] memory choice) internal {
        uint8 round = committee.getTask(id).round;
        CommitteeBase.Round memory r = committee.getRound(id, round);
        uint256 first = r.appeal ? 0 : 1;
        for (uint256 i = 0; i < choice.length; i++) if (choice[i] != CommitteeBase.Vote.None) commitAs(id, round, r.members[first + i], choice[i]);
        if (committee.getTask(id).phase == CommitteeBase.Phase.Commit) {
            vm.warp(block.timestamp + 61);
            committee.advance(id);
        }
        for (uint256 i = 0; i < choice.length; i++) if (choice[i] != CommitteeBase.Vote.None) revealAs(id, r.members[first + i], choice[i]);
        if (committee.getTask(id).phase == CommitteeBase.Phase.Reveal) {
            vm.warp(block.timestamp + 61);
            committee.advance(id);
        }
    }

    function votes(uint256 n, uint256 agrees) internal pure returns (CommitteeBase.Vote[] memory v) {
        v = new CommitteeBase.Vote[](n);
        for (uint256 i = 0; i < n; i++) v[i] = i < agrees ? CommitteeBase.Vote.Agree : CommitteeBase.Vote.Disagree;
    }

    function proposeAs(uint256 id, string memory answer) internal {
        uint8 round = committee.getTask(id).round;
        vm.prank(members(id, round)[0]);
        committee.propose(id, bytes(answer));
    }

    function finalize(uint256 id) internal {
        vm.warp(block.timestamp + 301);
        committee.advance(id);
    }

    function stakeOf(address op) internal view returns (uint256) {
        return nodes.getOperator(op).stake;
    }

    function phase(uint256 id) internal view returns (CommitteeBase.Phase) {
        return committee.getTask(id).phase;
    }

    /// @dev Cools every contract's storage, as between separate transactions.
    function coolAll() internal {
        vmx.cool(address(coprocessor));
        vmx.cool(address(committee));
        vmx.cool(address(nodes));
        vmx.cool(address(registry));
    }
}

contract CommitteeTest is CommitteeFixture {
    event log_named_uint(string key, uint256 val);

    function test_request_drawsFiveDistinctStakedMembers() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        assertEq(m.length, 5, "committee size");
        for (uint256 i = 0; i < m.length; i++) {
            assertTrue(nodes.isActive(m[i]), "member is staked");
            for (uint256 j = 0; j < i; j++) assertTrue(m[i] != m[j], "members are distinct");
        }
        assertTrue(phase(id) == CommitteeBase.Phase.Propose, "waiting for the leader");
        assertEq(uint256(CoprocessorViews(address(coprocessor)).getRequest(id).mode), uint256(IModelRegistry.Mode.Agreed), "mode recorded");
    }

    function test_happyPath_acceptedThenFinalAndPaid() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        CommitteeBase.Task memory task = committee.getTask(id);
        bytes memory answer = committee.getRound(id, task.accepted).answer;
        assertTrue(task.phase == CommitteeBase.Phase.Accepted, "accepted");
        assertEq(keccak256(answer), keccak256("loved"), "accepted answer visible before finality");
        assertEq(consumer.calls(), 0, "no callback before the appeal window ends");
        vm.expectRevert();
        committee.advance(id); // the appeal window is still open
        finalize(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Finalized, "final");
        assertEq(consumer.calls(), 1, "called back once");
        assertEq(keccak256(consumer.lastAnswer()), keccak256("loved"), "callback gets the answer bytes");
        assertEq(uint256(CoprocessorViews(address(coprocessor)).getRequest(id).status), uint256(Coprocessor.Status.Fulfilled), "request fulfilled");
        uint256 nodeShare = coprocessor.quote(modelId, CB_GAS) - 0.002 ether;
        uint256 paid;
        for (uint256 i = 0; i < 5; i++) {
            uint256 fees = nodes.getOperator(m[i]).fees;
            assertGe(fees, nodeShare / 5, "every member of the majority is paid, in the NodeRegistry");
            paid += fees;
            assertEq(coprocessor.balanceOf(m[i]), 0, "nothing for the members in the Coprocessor");
            assertEq(nodes.getOperator(m[i]).served, 1, "served counted");
            assertEq(stakeOf(m[i]), 1 ether + (uint160(m[i]) - 0x1000) * 0.1 ether, "nobody slashed");
            uint256 before = m[i].balance;
            vm.prank(m[i]);
            nodes.withdrawFees();
            assertEq(m[i].balance - before, fees, "the share withdrawn");
        }
        assertEq(paid, nodeShare, "the node share, all of it");
        assertEq(coprocessor.balanceOf(modelOwner), 0.002 ether, "model owner paid");
    }

    function test_lazyValidator_cannotRevealEarlyNorReuseAnotherCommitment() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        proposeAs(id, "loved");
        commitAs(id, 0, m[1], CommitteeBase.Vote.Agree);
        // m[2] tries to read votes before committing: reveals are closed while commits are open.
        vm.prank(m[1]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.WrongPhase.selector, id, CommitteeBase.Phase.Commit));
        committee.reveal(id, 1, CommitteeBase.Vote.Agree, salt(m[1]));
        // m[2] copies m[1]'s commitment: it binds m[1]'s address, so m[2] can never open it.
        (bytes32 copied,) = committee.getBallot(id, 0, 1);
        vm.prank(m[2]);
        committee.commit(id, 2, copied);
        commitAs(id, 0, m[3], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[4], CommitteeBase.Vote.Agree);
        assertTrue(phase(id) == CommitteeBase.Phase.Reveal, "reveal opens once every voter committed");
        revealAs(id, m[1], CommitteeBase.Vote.Agree);
        vm.prank(m[2]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.CommitmentMismatch.selector, id, m[2]));
        committee.reveal(id, 2, CommitteeBase.Vote.Agree, salt(m[1]));
        // Nor can it take m[1]'s seat.
        vm.prank(m[2]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotMember.selector, id, m[2], 1));
        committee.reveal(id, 1, CommitteeBase.Vote.Agree, salt(m[1]));
        revealAs(id, m[3], CommitteeBase.Vote.Agree);
        revealAs(id, m[4], CommitteeBase.Vote.Agree);
        uint256 before = stakeOf(m[2]);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertEq(before - stakeOf(m[2]), 0.05 ether, "the copier is slashed as a non-revealer (wrongSlash)");
        assertEq(nodes.getOperator(m[2]).missed, 1, "missed counted");
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "the honest majority still accepts");
    }

    function test_collidingMinority_isOutvotedAndSlashed() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        proposeAs(id, "loved");
        vote(id, votes(4, 2)); // m[1], m[2] agree; m[3], m[4] collude against
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "leader + 2 of 5 accept");
        uint256[5] memory before;
        for (uint256 i = 0; i < 5; i++) before[i] = stakeOf(m[i]);
        finalize(id);
        assertEq(before[3] - stakeOf(m[3]), 0.05 ether, "colluder 1 slashed");
        assertEq(before[4] - stakeOf(m[4]), 0.05 ether, "colluder 2 slashed");
        for (uint256 i = 0; i < 3; i++) {
            assertEq(stakeOf(m[i]), before[i], "majority keeps its stake");
            assertGe(committee.balanceOf(m[i]), uint256(0.1 ether) / 3, "majority shares the slashed stake");
        }
        assertEq(committee.balanceOf(m[3]) + committee.balanceOf(m[4]), 0, "the outvoted earn nothing");
    }

    function test_lyingLeader_isOverturnedOnAppealAndSlashed() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        proposeAs(id, "not loved"); // the lie
        vote(id, votes(4, 2)); // two accomplices agree: accepted 3 of 5
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "the lie is accepted at first");
        address appellant = address(0xA99E);
        uint256 bond = appealAs(id, appellant);
        address[] memory a = members(id, 1);
        assertEq(a.length, 7, "a larger committee");
        for (uint256 i = 0; i < a.length; i++) {
            for (uint256 j = 0; j < m.length; j++) assertTrue(a[i] != m[j], "fresh members");
        }
        vote(id, votes(7, 0)); // every appeal member disagrees with "not loved"
        assertTrue(phase(id) == CommitteeBase.Phase.Propose, "overturned: a new proposal round");
        assertEq(members(id, 2)[0], a[0], "the appeal committee leads the new round");
        proposeAs(id, "loved");
        vote(id, votes(6, 6));
        uint256 liarBefore = stakeOf(m[0]);
        finalize(id);
        assertEq(liarBefore - stakeOf(m[0]), 0.05 ether, "lying leader slashed");
        assertEq(1 ether + 0.1 ether * (uint160(m[1]) - 0x1000) - stakeOf(m[1]), 0.05 ether, "accomplice slashed");
        assertEq(stakeOf(m[3]), 1 ether + 0.1 ether * (uint160(m[3]) - 0x1000), "honest dissenter kept its stake");
        assertEq(committee.balanceOf(appellant), bond, "appellant: its bond back, nothing more");
        uint256 shared;
        for (uint256 i = 0; i < OPERATORS; i++) shared += committee.balanceOf(operators[i]);
        assertEq(shared, 0.15 ether, "the slashed stake goes to the winning voters");
        assertEq(keccak256(consumer.lastAnswer()), keccak256("loved"), "the consumer gets the corrected answer");
        assertEq(address(committee).balance, committee.totalHeld() + committee.totalOwed(), "committee holds what it owes");
        assertEq(committee.totalHeld(), 0, "nothing left held after finality");
    }

    function test_failedAppeal_forfeitsTheBondToTheWinners() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        address appellant = address(0xA99E);
        vm.deal(appellant, 1 ether);
        uint256 bond = committee.appealBondFor(id);
        vm.prank(appellant);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.AppealBondTooLow.selector, bond, bond - 1));
        committee.appeal{value: bond - 1}(id);
        vm.prank(appellant);
        committee.appeal{value: bond}(id);
        drawNext(id);
        vote(id, votes(7, 7)); // upheld
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "upheld: accepted again");
        assertEq(committee.appealBondFor(id), 2 * bond, "the next appeal costs double");
        finalize(id);
        assertEq(committee.balanceOf(appellant), 0, "bond forfeited");
        assertEq(committee.totalOwed(), bond, "bond shared among the winners");
    }

    function test_nonRevealersAndNonCommitters_areSlashed_oneOfflineDoesNotStopTheRequest() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        proposeAs(id, "loved");
        CommitteeBase.Vote[] memory v = votes(4, 3);
        v[3] = CommitteeBase.Vote.None; // m[4] is offline
        commitAs(id, 0, m[1], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[2], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[3], CommitteeBase.Vote.Agree);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        revealAs(id, m[1], CommitteeBase.Vote.Agree);
        revealAs(id, m[2], CommitteeBase.Vote.Agree);
        // m[3] committed but never reveals
        uint256 s3 = stakeOf(m[3]);
        uint256 s4 = stakeOf(m[4]);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertEq(s3 - stakeOf(m[3]), 0.05 ether, "non-revealer slashed the wrong-vote slash");
        assertEq(s4 - stakeOf(m[4]), 0.01 ether, "non-committer slashed");
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "leader + 2 reveals of 5 still accept");
        finalize(id);
        assertEq(consumer.calls(), 1, "answered");
    }

    function test_leaderThatDoesNotPropose_isSlashed_andTheNextMemberLeads() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        uint256 before = stakeOf(m[0]);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertEq(before - stakeOf(m[0]), 0.01 ether, "silent leader slashed");
        assertEq(members(id, 1)[0], m[1], "the next member leads");
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        finalize(id);
        assertEq(consumer.calls(), 1, "answered");
    }

    function test_noAgreementAfterMaxRounds_refundsTheRequester() public {
        uint256 id = ask();
        uint256 escrow = CoprocessorViews(address(coprocessor)).getRequest(id).escrow;
        for (uint256 round = 0; round < 4; round++) {
            proposeAs(id, "loved");
            vote(id, votes(4, 0));
        }
        assertTrue(phase(id) == CommitteeBase.Phase.Refunded, "refunded after 4 rejected rounds");
        assertEq(uint256(CoprocessorViews(address(coprocessor)).getRequest(id).status), uint256(Coprocessor.Status.Refunded), "request refunded");
        assertEq(coprocessor.balanceOf(address(consumer)), escrow, "escrow back to the requester");
        assertEq(committee.balanceOf(address(consumer)), 0, "and nothing from the committee");
        assertEq(consumer.calls(), 0, "no answer, no callback");
    }

    function test_answersOutsideTheRule_areRefused() public {
        uint256 id = ask();
        vm.prank(members(id, 0)[0]);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidAnswer.selector, id, "not one of the model's labels"));
        committee.propose(id, bytes("LOVED!!"));
        address notLeader = members(id, 0)[1];
        vm.prank(notLeader);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotLeader.selector, id, notLeader));
        committee.propose(id, bytes("loved"));
    }

    /// @dev A new rule replaces the label set: a label of the old rule is refused; a rule that is
    /// no longer Label checks no labels at all, and turning Label again takes the new list only.
    function test_attack_labelsOfAnEarlierRule_areRefusedOnceReplaced() public {
        string[] memory labels = new string[](2);
        (labels[0], labels[1]) = ("thumbs up", "thumbs down");
        vm.prank(modelOwner);
        committee.setRule(modelId, CommitteeBase.Criterion.Label, 0, labels, "new labels");
        uint256 id = ask();
        address leader = members(id, 0)[0];
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidAnswer.selector, id, "not one of the model's labels"));
        committee.propose(id, bytes("loved"));
        vm.prank(modelOwner);
        committee.setRule(modelId, CommitteeBase.Criterion.Exact, 0, new string[](0), "free text");
        vm.prank(modelOwner);
        (labels[0], labels[1]) = ("loved", "not loved");
        committee.setRule(modelId, CommitteeBase.Criterion.Label, 0, labels, "the old labels again");
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidAnswer.selector, id, "not one of the model's labels"));
        committee.propose(id, bytes("thumbs up"));
        vm.prank(leader);
        committee.propose(id, bytes("loved"));
        assertTrue(phase(id) == CommitteeBase.Phase.Commit, "a label of the rule in force is proposed");
    }

    function test_onlyMembersVote_onlyTheCoprocessorOpens_andProofsCannotFulfilAgreedRequests() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotMember.selector, id, address(0xBAD), 1));
        committee.commit(id, 1, bytes32(uint256(1)));
        // The leader does not vote on its own answer.
        address leader = members(id, 0)[0];
        vm.prank(leader);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotMember.selector, id, leader, 0));
        committee.commit(id, 0, bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.NotCoprocessor.selector, address(this)));
        committee.open(id, modelId, address(this));
        uint256[8] memory proof;
        vm.prank(operators[0]);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.UnsupportedMode.selector, modelId, IModelRegistry.Mode.Agreed));
        coprocessor.fulfill(id, new uint256[](0), proof);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NotCommittee.selector, address(this)));
        coprocessor.refundAgreed(id);
    }

    /// @dev Gas of every transaction of a 5-member request (intrinsic 21,000 each added), on a
    /// network that has served one request before; `cold`: storage cooled before each one, as
    /// in separate transactions.
    function fiveMemberGas(bool cold) internal returns (uint256 total) {
        uint256 first = ask();
        proposeAs(first, "loved");
        vote(first, votes(4, 4));
        finalize(first);
        if (cold) coolAll();
        uint256 g = gasleft();
        uint256 id = askUndrawn();
        total += g - gasleft() + 21_000;
        vm.roll(block.number + 1);
        if (cold) coolAll();
        g = gasleft();
        committee.draw(id);
        total += g - gasleft() + 21_000;
        address[] memory m = members(id, 0);
        if (cold) coolAll();
        g = gasleft();
        proposeAs(id, "loved");
        total += g - gasleft() + 21_000;
        for (uint256 i = 1; i < 5; i++) {
            bytes32 c = committee.commitmentOf(id, 0, m[i], CommitteeBase.Vote.Agree, salt(m[i]));
            if (cold) coolAll();
            vm.prank(m[i]);
            g = gasleft();
            committee.commit(id, i, c);
            total += g - gasleft() + 21_000;
        }
        for (uint256 i = 1; i < 5; i++) {
            if (cold) coolAll();
            vm.prank(m[i]);
            g = gasleft();
            committee.reveal(id, i, CommitteeBase.Vote.Agree, salt(m[i]));
            total += g - gasleft() + 21_000;
        }
        vm.warp(block.timestamp + 301);
        if (cold) coolAll();
        g = gasleft();
        committee.advance(id);
        total += g - gasleft() + 21_000;
        assertEq(consumer.calls(), 2, "both requests answered");
    }

    /// @dev A regression guard on gas over every phase of a 5-member request, 12 serving
    /// operators. Inside one test transaction storage an earlier phase touched is warm: about
    /// 1.02M (0.94M before issue 15; the draw is now a transaction of its own and the input's
    /// keccak256 is stored; 1.11M since the draw reads the stakes of its draw block and takes its
    /// members without replacement). `npm run bench:agreed` measures the receipts on anvil.
    function test_gas_fiveMemberRequest_regressionGuard() public {
        uint256 total = fiveMemberGas(false);
        emit log_named_uint("agreed-mode gas, 5 members, all phases (warm)", total);
        assertTrue(total < 1_150_000, "a 5-member request costs no more than it did (warm measure)");
    }

    /// @dev The same with each transaction's storage cold. The issue's target is 1.5M.
    function test_gas_fiveMemberRequest_separateTransactions() public {
        uint256 total = fiveMemberGas(true);
        emit log_named_uint("agreed-mode gas, 5 members, all phases (cold, as separate transactions)", total);
        assertTrue(total < 1_500_000, "a 5-member request within 1.5M gas");
    }
}

/// @dev Attack 2's appellant: it computes the old draw seed (prevrandao, blockhash(n - 1),
/// request id, round) inside its own transaction, predicts the appeal committee from it, and
/// appeals only if a majority of the predicted members are its accomplices. It records how many
/// rounds exist once its appeal is in: the chain has drawn nothing inside its transaction.
contract AppealGrinder {
    Committee internal immutable committee;
    NodeRegistry internal immutable nodes;
    address[] public predicted;
    uint256 public roundsInside;

    constructor(Committee committee_, NodeRegistry nodes_) {
        committee = committee_;
        nodes = nodes_;
    }

    function appealIfFavourable(uint256 requestId, bytes32 modelId, address[] calldata accomplices) external payable {
        CommitteeBase.Task memory t = committee.getTask(requestId);
        uint256 oldSeed = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), requestId, t.round + 1)));
        address[] memory exclude = committee.getRound(requestId, t.accepted).members;
        predicted = nodes.drawCommittee(modelId, oldSeed, 7, 3, exclude);
        uint256 friends;
        for (uint256 i = 0; i < predicted.length; i++) {
            for (uint256 j = 0; j < accomplices.length; j++) if (predicted[i] == accomplices[j]) friends++;
        }
        require(friends * 2 > predicted.length, "the predicted committee does not suit the appellant");
        committee.appeal{value: msg.value}(requestId);
        roundsInside = committee.roundCount(requestId);
    }
}

contract CommitteeAttackTest is CommitteeFixture {
    event log_named_uint(string key, uint256 val);

    function countIn(address[] memory xs, address[] memory set) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < xs.length; i++) {
            for (uint256 j = 0; j < set.length; j++) if (xs[i] == set[j]) n++;
        }
    }
    function sameMembers(address[] memory a, address[] memory b) internal pure returns (bool) {
        if (a.length != b.length) return false;
        for (uint256 i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    /// @dev Serving operators up to `total`, 1 ether each, the last 12 (the coalition) `coalitionStake`.
    function joinServers(uint256 total, uint256 coalitionStake) internal {
        for (uint256 i = OPERATORS; i < total; i++) {
            address op = address(uint160(0x1000 + i));
            uint256 stake = i >= total - 12 ? coalitionStake : 1 ether;
            vm.deal(op, stake + 1 ether);
            vm.startPrank(op);
            nodes.register{value: stake}("validator", "");
            nodes.serveModel(modelId);
            vm.stopPrank();
            operators.push(op);
        }
    }

    /// @dev The appeal committee `draw` would give if the appeal block's hash were `h` (state restored).
    function appealCommitteeFor(uint256 id, uint64 appealBlock, bytes32 h) internal returns (address[] memory drawn) {
        uint256 snap = vmx.snapshotState();
        vmx.setBlockhash(appealBlock, h);
        committee.draw(id);
        drawn = members(id, 1);
        uint256 seed = uint256(keccak256(abi.encode(h, id, uint8(1))));
        assertTrue(sameMembers(drawn, nodes.drawCommittee(modelId, seed, 7, 3, members(id, 0))), "the draw of the appeal block's hash");
        vmx.revertToState(snap);
    }

    function test_request_storesTheInputHash_andDrawsNobodyInTheRequestersTransaction() public {
        uint256 id = askUndrawn();
        assertEq(CoprocessorViews(address(coprocessor)).inputHashOf(id), keccak256(QUESTION), "keccak256 of the input on chain");
        assertTrue(phase(id) == CommitteeBase.Phase.Drawing, "waiting for the draw");
        assertEq(committee.roundCount(id), 0, "no round yet");
        assertEq(committee.getTask(id).drawBlock, block.number, "drawn from the request block's hash");
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.DrawNotReady.selector, id, uint64(block.number)));
        committee.draw(id);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.WrongPhase.selector, id, CommitteeBase.Phase.Drawing));
        committee.advance(id);
        vm.roll(block.number + 1);
        vm.prank(address(0xCA11)); // anyone
        committee.draw(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Propose, "drawn: the leader proposes");
        assertEq(members(id, 0).length, 5, "five members");
    }

    function test_request_forAModelNobodyServesRevertsNoServer() public {
        vm.prank(modelOwner);
        bytes32 lonely = registry.registerModel("lonely", IModelRegistry.Mode.Agreed, Specs.agreed(0), 0);
        uint256 fee = coprocessor.quote(lonely, CB_GAS);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NoServer.selector, lonely));
        coprocessor.request{value: fee}(lonely, QUESTION, CB_GAS);
    }

    /// Members are drawn only from operators that opted in to the model.
    function test_draw_onlyFromOperatorsServingTheModel() public {
        for (uint256 i = 0; i < 6; i++) {
            vm.prank(operators[i]);
            nodes.stopServing(modelId);
        }
        for (uint256 k = 0; k < 10; k++) {
            uint256 id = ask();
            address[] memory m = members(id, 0);
            for (uint256 i = 0; i < m.length; i++) {
                assertTrue(nodes.canServe(m[i], modelId), "a serving operator");
                assertTrue(uint160(m[i]) >= 0x1006, "never one that stopped serving");
            }
        }
    }

    function test_draw_tooFewServersRefundsTheRequest() public {
        for (uint256 i = 0; i < OPERATORS - 2; i++) {
            vm.prank(operators[i]);
            nodes.stopServing(modelId);
        }
        uint256 id = askUndrawn();
        uint256 escrow = CoprocessorViews(address(coprocessor)).getRequest(id).escrow;
        vm.roll(block.number + 1);
        vm.expectEmit(true, false, false, true);
        emit CommitteeBase.DrawFailed(id, 0);
        committee.draw(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Refunded, "refunded");
        assertEq(coprocessor.balanceOf(address(consumer)), escrow, "the escrow back");
    }

    function test_draw_rearmsWhenTheBlockHashIsGone() public {
        uint256 id = askUndrawn();
        vm.roll(block.number + 257);
        vm.expectEmit(true, false, false, true);
        emit CommitteeBase.DrawRearmed(id, 0, uint64(block.number));
        committee.draw(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Drawing, "still drawing");
        assertEq(committee.getTask(id).drawBlock, block.number, "from this block's hash now");
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.DrawNotReady.selector, id, uint64(block.number)));
        committee.draw(id);
        drawNext(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Propose, "drawn");
    }

    /// Attack 1 (agreed mode): a requester whose request nobody answers (its leaders never
    /// propose) was refunded its fee plus every no-show slash (0.001 ETH in, 0.04 ETH out). Now
    /// the requester gets its escrow back and nothing more; the slashes go to the treasury.
    function test_attack1_anUnservedAgreedRequestCreditsTheRequesterOnlyItsEscrow() public {
        uint256 id = ask();
        uint256 escrow = CoprocessorViews(address(coprocessor)).getRequest(id).escrow;
        uint256 stakes = address(nodes).balance;
        for (uint256 round = 0; round < 4; round++) {
            vm.warp(block.timestamp + 61);
            committee.advance(id); // the leader did not propose: slashed, the next one leads
        }
        assertTrue(phase(id) == CommitteeBase.Phase.Refunded, "refunded after 4 silent leaders");
        uint256 slashed = stakes - address(nodes).balance;
        assertEq(slashed, 4 * 0.01 ether, "four no-show slashes");
        assertEq(coprocessor.balanceOf(address(consumer)), escrow, "the requester: its escrow");
        assertEq(committee.balanceOf(address(consumer)), 0, "and none of the slashes");
        assertEq(committee.balanceOf(TREASURY), slashed, "the slashes go to the treasury");
        assertEq(committee.totalHeld(), 0, "nothing left held");
    }

    /// Attack 9: a member that committed a losing vote and then hides it paid only the no-show
    /// slash (0.01) instead of the wrong-vote slash (0.05). Hiding now costs the wrong-vote slash.
    function test_attack9_aLosingVoterThatSkipsItsRevealPaysTheWrongSlash() public {
        uint256 id = ask();
        address[] memory m = members(id, 0);
        proposeAs(id, "loved");
        commitAs(id, 0, m[1], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[2], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[3], CommitteeBase.Vote.Agree);
        commitAs(id, 0, m[4], CommitteeBase.Vote.Disagree);
        revealAs(id, m[1], CommitteeBase.Vote.Agree);
        revealAs(id, m[2], CommitteeBase.Vote.Agree);
        revealAs(id, m[3], CommitteeBase.Vote.Agree);
        // m[4] sees it has lost and keeps its Disagree hidden.
        uint256 before = stakeOf(m[4]);
        vm.warp(block.timestamp + 61);
        committee.advance(id);
        assertEq(before - stakeOf(m[4]), committee.wrongSlash(), "hiding costs the wrong-vote slash");
        finalize(id);
        assertEq(before - stakeOf(m[4]), committee.wrongSlash(), "and only once");
    }

    /// Attack 2 (agreed mode): an appellant that predicted the appeal committee inside its own
    /// transaction and appealed only when a majority of accomplices would be drawn. The appeal
    /// transaction now draws nobody; the committee comes from the appeal block's hash, drawn by
    /// `draw` in a later block, and two different hashes give two different committees.
    function test_attack2_theAppellantsTransactionDrawsNobody() public {
        // The review's setting: 40 operators, a 30% coalition (12) wanting 4 of 7 appeal seats.
        joinServers(40, 1 ether);
        uint256 id = ask();
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        AppealGrinder grinder = new AppealGrinder(committee, nodes);
        address[] memory accomplices = new address[](12);
        for (uint256 i = 0; i < 12; i++) accomplices[i] = operators[28 + i];
        uint256 bond = committee.appealBondFor(id);
        uint256 tries;
        bool appealed;
        for (; tries < 200 && !appealed; tries++) {
            vm.roll(block.number + 1);
            vmx.prevrandao(keccak256(abi.encode("randao", tries)));
            vm.deal(address(this), bond);
            try grinder.appealIfFavourable{value: bond}(id, modelId, accomplices) {
                appealed = true;
            } catch {}
        }
        assertTrue(appealed, "the grinder found a block it liked");
        assertEq(grinder.roundsInside(), 1, "no appeal round was drawn inside its transaction");
        assertTrue(phase(id) == CommitteeBase.Phase.Drawing, "the appeal waits for the draw");
        uint64 appealBlock = committee.getTask(id).drawBlock;
        assertEq(appealBlock, block.number, "drawn from the appeal block's hash");
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.DrawNotReady.selector, id, appealBlock));
        committee.draw(id);
        vm.roll(block.number + 1);
        address[] memory first;
        bool differs;
        uint256 favourable;
        for (uint256 k = 0; k < 20; k++) {
            address[] memory drawn = appealCommitteeFor(id, appealBlock, keccak256(abi.encode("future appeal block hash", k)));
            if (k == 0) first = drawn;
            else if (!sameMembers(first, drawn)) differs = true;
            if (countIn(drawn, accomplices) * 2 > drawn.length) favourable++;
        }
        assertTrue(differs, "two hashes of the appeal block give two different committees");
        emit log_named_uint("appeal committees (of 20 future hashes) the coalition controls", favourable);
        assertTrue(favourable < 20, "the grinder's filter no longer guarantees a favourable committee");
    }

    /// Attack 2, the operators' way in: once the appeal block's hash is known, a coalition of
    /// operators changes its stakes (adds, unbonds, leaves and rejoins the model) before calling
    /// `draw` in the same transaction, trying amounts until the committee suits it. The draw now
    /// reads the stakes and opt-ins of the appeal block, so every such change gives the committee
    /// the unmoved stakes give; on the old code each change gave another committee.
    function test_attack2_aCoalitionCannotSteerTheAppealDrawWithStakeChanges() public {
        joinServers(40, 2 ether); // the coalition: 28..39, with room to unbond
        uint256 id = ask();
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        address appellant = address(0xA99E);
        uint256 bond = appealUndrawn(id, appellant);
        vm.roll(block.number + 1); // the appeal block's hash is known from here on
        uint256 snap = vmx.snapshotState();
        committee.draw(id);
        address[] memory unmoved = members(id, 1);
        vmx.revertToState(snap);
        uint256 same;
        for (uint256 k = 1; k <= 12; k++) {
            snap = vmx.snapshotState();
            for (uint256 c = 28; c < 40; c++) {
                address op = operators[c];
                vm.startPrank(op);
                if ((c + k) % 3 == 0) nodes.addStake{value: k * 0.07 ether + c}();
                else if ((c + k) % 3 == 1) nodes.unbond(k * 1 gwei + c);
                else {
                    nodes.stopServing(modelId);
                    if (k % 2 == 0) nodes.serveModel(modelId);
                }
                vm.stopPrank();
            }
            committee.draw(id);
            if (sameMembers(members(id, 1), unmoved)) same++;
            vmx.revertToState(snap);
        }
        emit log_named_uint("coalition stake changes (of 12) that left the appeal committee as drawn", same);
        assertEq(same, 12, "no stake change after the appeal block moves the committee");
    }

    /// Attack 2's cheap exit: with exactly the minimum of servers at the appeal block, an
    /// appellant that also serves the model could leave once it saw the hash, so that the draw
    /// found too few servers, dropped the appeal and returned its bond (a free look at the
    /// committee, and another appeal). The draw counts the servers of the appeal block.
    function test_attack2_anAppellantCannotDropItsAppealByLeavingAfterTheAppealBlock() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        address appellant = operators[OPERATORS - 1];
        for (uint256 i = 0; i < OPERATORS - 3; i++) {
            vm.prank(operators[i]);
            nodes.stopServing(modelId);
        }
        assertEq(nodes.serversOf(modelId).length, 3, "three servers, the minimum");
        uint256 bond = appealUndrawn(id, appellant);
        vm.roll(block.number + 1);
        vm.prank(appellant);
        nodes.stopServing(modelId); // two servers left now
        committee.draw(id);
        assertTrue(phase(id) != CommitteeBase.Phase.Accepted, "the appeal round is drawn");
        assertEq(members(id, 1).length, 3, "from the three servers of the appeal block");
        assertEq(committee.balanceOf(appellant), 0, "no bond back");
    }

    /// Too few servers left when an appeal is drawn: the appeal is dropped, its bond returned,
    /// and the answer stands with a new appeal window.
    function test_draw_anAppealWithTooFewServersIsDroppedAndItsBondReturned() public {
        uint256 id = ask();
        proposeAs(id, "loved");
        vote(id, votes(4, 4));
        address appellant = address(0xA99E);
        uint256 bond = appealUndrawn(id, appellant);
        for (uint256 i = 0; i < OPERATORS - 2; i++) {
            vm.prank(operators[i]);
            nodes.stopServing(modelId);
        }
        vm.roll(block.number + 1);
        committee.draw(id);
        assertTrue(phase(id) == CommitteeBase.Phase.Accepted, "the answer stands");
        assertEq(committee.balanceOf(appellant), bond, "the bond back");
        assertEq(committee.getTask(id).appeals, 0, "the appeal is not counted");
        assertEq(committee.appealBondFor(id), bond, "nor doubles the next bond");
        finalize(id);
        assertEq(consumer.calls(), 1, "answered");
    }

    /// Attack 6: committee parameters change only through the timelock, within bounds.
    function test_attack6_parametersChangeOnlyThroughTheTimelockAndWithinBounds() public {
        CommitteeBase.Parameters memory p = committeeParameters();
        vm.expectRevert(abi.encodeWithSelector(Timelocked.NotTimelocked.selector, address(this)));
        committee.setParameters(p);
        p.wrongSlash = 0.005 ether; // below the no-show slash: hiding a losing vote would pay
        bytes memory change = abi.encodeCall(Committee.setParameters, (p));
        committee.scheduleChange(change);
        vm.warp(block.timestamp + ADMIN_DELAY);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidParameter.selector, "noShowSlash", 0.01 ether));
        committee.executeChange(change);
        p.wrongSlash = 100 ether; // confiscation
        change = abi.encodeCall(Committee.setParameters, (p));
        committee.scheduleChange(change);
        vm.warp(block.timestamp + ADMIN_DELAY);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidParameter.selector, "wrongSlash", 100 ether));
        committee.executeChange(change);
        p = committeeParameters();
        p.commitWindow = 1; // too short to commit: everybody would be a no-show
        change = abi.encodeCall(Committee.setParameters, (p));
        committee.scheduleChange(change);
        vm.warp(block.timestamp + ADMIN_DELAY);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidParameter.selector, "commitWindow", 1));
        committee.executeChange(change);
        p.commitWindow = 90;
        throughTimelock(committee, abi.encodeCall(Committee.setParameters, (p)));
        assertEq(committee.commitWindow(), 90, "a bounded change goes through");
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.CoprocessorAlreadySet.selector, address(coprocessor)));
        committee.initCoprocessor(address(0xC0));
        vm.expectRevert(abi.encodeWithSelector(Timelocked.NotTimelocked.selector, address(this)));
        committee.setCoprocessor(address(0xC0));
    }

    function testFuzz_setParameters_refusesOutOfBoundSizes(uint8 size) public {
        vm.assume(size < 3 || size > 31);
        CommitteeBase.Parameters memory p = committeeParameters();
        p.committeeSize = size;
        bytes memory change = abi.encodeCall(Committee.setParameters, (p));
        committee.scheduleChange(change);
        vm.warp(block.timestamp + ADMIN_DELAY);
        vm.expectRevert(abi.encodeWithSelector(CommitteeBase.InvalidParameter.selector, "committeeSize", uint256(size)));
        committee.executeChange(change);
    }
}
