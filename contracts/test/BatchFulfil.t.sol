// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CoprocessorViews} from "../src/CoprocessorViews.sol";
import {Deployment} from "./utils/Deployment.sol";
import {Specs} from "./utils/Specs.sol";
import {RecordingConsumer, RevertingConsumer} from "./utils/Mocks.sol";
import {BatchFixture} from "./fixtures/BatchFixture.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {IGroth16BatchVerifier} from "../src/interfaces/IGroth16BatchVerifier.sol";
import {Poseidon8, Poseidon8Deployer} from "../src/Poseidon8.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @dev Coprocessor.fulfillBatch with real Groth16 proofs of the tiny test model and its generated
/// verifier (BatchFixture, written by scripts/batch-fixture.ts for this deployment's addresses).
contract BatchFulfilTest is Deployment {
    ModelRegistry internal registry;
    NodeRegistry internal nodes;
    Coprocessor internal coprocessor;
    address internal verifier;
    bytes32 internal modelId;
    address internal constant NODE = BatchFixture.PROVER;
    uint32 internal constant CB_GAS = 200_000;

    event Fulfilled(uint256 indexed requestId, address indexed node, bytes output);
    event CallbackCompleted(uint256 indexed requestId, bool success);
    event log_named_uint(string key, uint256 val);

    function setUp() public {
        // The fixture's proofs are bound to the Coprocessor's address: keep these six CREATEs first (Poseidon8 makes three).
        registry = new ModelRegistry(1 days);
        Poseidon8 poseidon = Poseidon8Deployer.deploy();
        nodes = new NodeRegistry(address(this), ADMIN_DELAY, 1 ether, 7 days);
        coprocessor = new Coprocessor(registry, poseidon, nodes, address(this), ADMIN_DELAY, coprocessorParameters());
        assertEq(address(coprocessor), BatchFixture.COPROCESSOR, "Coprocessor address the fixture was proved for (run scripts/batch-fixture.ts)");
        address[] memory slashers = new address[](1);
        slashers[0] = address(coprocessor);
        nodes.initSlashers(slashers);
        bytes memory code = BatchFixture.verifierCode();
        address v;
        assembly {
            v := create(0, add(code, 0x20), mload(code))
        }
        verifier = v;
        modelId = registry.registerModel("tiny", IModelRegistry.Mode.Proved, Specs.proved(verifier, BatchFixture.MODEL_COMMITMENT, BatchFixture.io()), 0);
        stake(NODE, 1 ether, "node");
    }

    /// @dev Registers `who` with `amount` and opts it in to the model.
    function stake(address who, uint256 amount, string memory name) internal {
        vm.deal(who, amount);
        vm.prank(who);
        nodes.register{value: amount}(name, "http://localhost");
        vm.prank(who);
        nodes.serveModel(modelId);
    }

    /// @dev Requests 1..n from fresh consumers, one per fixture input, then a block (the draw reads it).
    function requestMany(uint256 n) internal returns (uint256[] memory ids, RecordingConsumer[] memory consumers) {
        ids = new uint256[](n);
        consumers = new RecordingConsumer[](n);
        bytes[] memory inputs = BatchFixture.inputs();
        for (uint256 i = 0; i < n; i++) {
            consumers[i] = new RecordingConsumer();
            ids[i] = requestFrom(address(consumers[i]), inputs[i]);
        }
        vm.roll(block.number + 1);
    }

    function requestFrom(address requester, bytes memory input) internal returns (uint256 id) {
        uint256 fee = coprocessor.quote(modelId, CB_GAS);
        vm.deal(requester, fee);
        vm.prank(requester);
        id = coprocessor.request{value: fee}(modelId, input, CB_GAS);
    }

    /// @dev The fixture's first n output words and proofs (those of requests 1..n).
    function firstN(uint256 n) internal pure returns (uint256[][] memory words, uint256[8][] memory proofs) {
        uint256[][] memory allWords = BatchFixture.outputWords();
        uint256[8][] memory allProofs = BatchFixture.proofs();
        words = new uint256[][](n);
        proofs = new uint256[8][](n);
        for (uint256 i = 0; i < n; i++) {
            (words[i], proofs[i]) = (allWords[i], allProofs[i]);
        }
    }

    function signalsOf(uint256[] memory ids, uint256[][] memory words) internal view returns (uint256[][] memory s) {
        s = new uint256[][](ids.length);
        for (uint256 i = 0; i < ids.length; i++) {
            Coprocessor.Request memory r = CoprocessorViews(address(coprocessor)).getRequest(ids[i]);
            s[i] = new uint256[](words[i].length + 2);
            for (uint256 j = 0; j < words[i].length; j++) s[i][j] = words[i][j];
            s[i][words[i].length] = r.inputCommitment;
            s[i][words[i].length + 1] = coprocessor.requestBinding(ids[i], NODE);
        }
    }

    function test_batchOf16RealProofs_fulfilsPaysAndCallsBackEach() public {
        (uint256[] memory ids, RecordingConsumer[] memory consumers) = requestMany(16);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(16);
        vm.prank(NODE);
        coprocessor.fulfillBatch(ids, words, proofs);
        for (uint256 i = 0; i < 16; i++) {
            assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[i]).status == Coprocessor.Status.Fulfilled, "each request fulfilled");
            assertEq(consumers[i].lastRequestId(), ids[i], "each consumer called back with its request");
            assertEq(consumers[i].valueCount(), 3, "three outputs each");
        }
        assertEq(coprocessor.balanceOf(NODE), 16 * (coprocessor.nodeFee() + CB_GAS * coprocessor.callbackGasPrice()), "node paid 16 node fees and callback gas");
        assertEq(coprocessor.totalEscrow(), 0, "no escrow left");
        assertEq(nodes.getOperator(NODE).served, 16, "16 served");
    }

    function test_generatedVerifier_singleAndBatchAgree() public {
        (uint256[] memory ids,) = requestMany(4);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(4);
        uint256[][] memory s = signalsOf(ids, words);
        assertTrue(IGroth16BatchVerifier(verifier).verifyBatch(proofs, s), "batch of 4 verifies");
        uint256[8][] memory one = new uint256[8][](1);
        uint256[][] memory oneSignals = new uint256[][](1);
        (one[0], oneSignals[0]) = (proofs[2], s[2]);
        assertTrue(IGroth16BatchVerifier(verifier).verifyBatch(one, oneSignals), "batch of 1 verifies");
        // Each signal changed in turn, and two proofs swapped: refused.
        for (uint256 j = 0; j < s[1].length; j++) {
            s[1][j] += 1;
            assertTrue(!IGroth16BatchVerifier(verifier).verifyBatch(proofs, s), "a changed public signal fails the batch");
            s[1][j] -= 1;
        }
        (proofs[0], proofs[3]) = (proofs[3], proofs[0]);
        assertTrue(!IGroth16BatchVerifier(verifier).verifyBatch(proofs, s), "swapped proofs fail the batch");
        assertTrue(!IGroth16BatchVerifier(verifier).verifyBatch(new uint256[8][](0), new uint256[][](0)), "an empty batch is false");
        // The single entry point is snarkjs's, unchanged: fulfill goes through it.
        (proofs[0], proofs[3]) = (proofs[3], proofs[0]);
        vm.prank(NODE);
        coprocessor.fulfill(ids[3], words[3], proofs[3]);
        assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[3]).status == Coprocessor.Status.Fulfilled, "single fulfil with the generated verifier");
    }

    function test_aTamperedProofFailsTheWholeBatch_thenEachGoodOneFulfilsAlone() public {
        (uint256[] memory ids,) = requestMany(4);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(4);
        uint256[8] memory good = proofs[2];
        proofs[2][6] = proofs[1][6];
        proofs[2][7] = proofs[1][7];
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidBatchProof.selector, ids[0], 4));
        coprocessor.fulfillBatch(ids, words, proofs);
        // A changed output word fails it too.
        proofs[2] = good;
        words[0][0] ^= 1;
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidBatchProof.selector, ids[0], 4));
        coprocessor.fulfillBatch(ids, words, proofs);
        words[0][0] ^= 1;
        // The fallback: one by one, the tampered proof alone refused.
        proofs[2][6] = proofs[1][6];
        proofs[2][7] = proofs[1][7];
        for (uint256 i = 0; i < 4; i++) {
            vm.prank(NODE);
            if (i == 2) vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidProof.selector, ids[i]));
            coprocessor.fulfill(ids[i], words[i], proofs[i]);
        }
        assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[2]).status == Coprocessor.Status.Pending, "the tampered one still pending");
        assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[3]).status == Coprocessor.Status.Fulfilled, "the others fulfilled");
    }

    function test_proofsBoundToAnotherSenderFailTheBatch() public {
        (uint256[] memory ids,) = requestMany(2);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(2);
        address other = address(0xC0FFEE);
        stake(other, 1 ether, "copier");
        vm.warp(block.timestamp + 31); // past the primary's window: anyone serving may fulfil
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidBatchProof.selector, ids[0], 2));
        coprocessor.fulfillBatch(ids, words, proofs);
    }

    function test_duplicateOrUnorderedRequestIdsAreRefused() public {
        (uint256[] memory ids,) = requestMany(3);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(3);
        ids[2] = ids[1];
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.DuplicateRequest.selector, ids[1]));
        coprocessor.fulfillBatch(ids, words, proofs);
        (ids[1], ids[2]) = (3, 2);
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestIdsNotAscending.selector, 3, 2));
        coprocessor.fulfillBatch(ids, words, proofs);
    }

    function test_lengthMismatchAndEmptyBatchAreRefused() public {
        (uint256[] memory ids,) = requestMany(2);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(1);
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.BatchLengthMismatch.selector, 2, 1, 1));
        coprocessor.fulfillBatch(ids, words, proofs);
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.BatchLengthMismatch.selector, 0, 0, 0));
        coprocessor.fulfillBatch(new uint256[](0), new uint256[][](0), new uint256[8][](0));
    }

    function test_requestsOfTwoModelsAreRefused() public {
        bytes32 other = registry.registerModel("tiny-2", IModelRegistry.Mode.Proved, Specs.proved(verifier, BatchFixture.MODEL_COMMITMENT, BatchFixture.io()), 0);
        vm.prank(NODE);
        nodes.serveModel(other);
        bytes[] memory inputs = BatchFixture.inputs();
        uint256[] memory ids = new uint256[](2);
        ids[0] = requestFrom(address(new RecordingConsumer()), inputs[0]);
        uint256 fee = coprocessor.quote(other, CB_GAS);
        ids[1] = coprocessor.request{value: fee}(other, inputs[1], CB_GAS);
        vm.roll(block.number + 1);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(2);
        vm.prank(NODE);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.MixedBatch.selector, ids[1], modelId, uint32(1)));
        coprocessor.fulfillBatch(ids, words, proofs);
    }

    /// @dev Chosen: a request refunded meanwhile reverts the batch (the node falls back to
    /// fulfilling the others one by one, or sends the batch again without it).
    function test_aRequestRefundedMeanwhileRevertsTheBatch() public {
        bytes[] memory inputs = BatchFixture.inputs();
        uint256 first = requestFrom(address(new RecordingConsumer()), inputs[0]);
        vm.warp(block.timestamp + 1 hours + 1);
        coprocessor.refund(first);
        uint256[] memory ids = new uint256[](3);
        ids[0] = first;
        for (uint256 i = 1; i < 3; i++) ids[i] = requestFrom(address(new RecordingConsumer()), inputs[i]);
        vm.roll(block.number + 1);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(3);
        vm.prank(NODE);
        vm.expectRevert(
            abi.encodeWithSelector(Coprocessor.RequestNotPending.selector, first, Coprocessor.Status.Refunded)
        );
        coprocessor.fulfillBatch(ids, words, proofs);
        // Without it, the rest goes through.
        uint256[] memory rest = new uint256[](2);
        uint256[][] memory restWords = new uint256[][](2);
        uint256[8][] memory restProofs = new uint256[8][](2);
        for (uint256 i = 0; i < 2; i++) (rest[i], restWords[i], restProofs[i]) = (ids[i + 1], words[i + 1], proofs[i + 1]);
        vm.prank(NODE);
        coprocessor.fulfillBatch(rest, restWords, restProofs);
        assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[2]).status == Coprocessor.Status.Fulfilled, "the rest fulfilled");
    }

    function test_aFailingCallbackFailsOnlyItsOwnRequest() public {
        bytes[] memory inputs = BatchFixture.inputs();
        uint256[] memory ids = new uint256[](3);
        RecordingConsumer ok0 = new RecordingConsumer();
        RecordingConsumer ok2 = new RecordingConsumer();
        ids[0] = requestFrom(address(ok0), inputs[0]);
        ids[1] = requestFrom(address(new RevertingConsumer()), inputs[1]);
        ids[2] = requestFrom(address(ok2), inputs[2]);
        vm.roll(block.number + 1);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(3);
        vm.expectEmit(true, false, false, true, address(coprocessor));
        emit CallbackCompleted(ids[1], false);
        vm.prank(NODE);
        coprocessor.fulfillBatch(ids, words, proofs);
        for (uint256 i = 0; i < 3; i++) {
            assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[i]).status == Coprocessor.Status.Fulfilled, "all three fulfilled");
        }
        assertEq(ok0.calls() + ok2.calls(), 2, "the other two called back");
    }

    function test_primariesAsInFulfill_exclusiveInTheWindow_slashedWhenABackupServesAfterIt() public {
        // Another operator with most of the stake: the primary of (nearly) every request.
        address other = address(0xC0FFEE);
        stake(other, 99 ether, "other");
        (uint256[] memory ids,) = requestMany(4);
        uint256 othersPrimary;
        for (uint256 i = 0; i < 4; i++) {
            coprocessor.assign(ids[i]);
            if (CoprocessorViews(address(coprocessor)).primaryOf(ids[i]) == other) othersPrimary++;
        }
        assertTrue(othersPrimary > 0, "the other operator is primary of some request");
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(4);
        if (othersPrimary < 4) {
            // Inside the window the fixture's node may not serve another's request.
            vm.prank(NODE);
            vm.expectRevert();
            coprocessor.fulfillBatch(ids, words, proofs);
        }
        vm.warp(block.timestamp + 31);
        uint256 stakeBefore = nodes.getOperator(other).stake;
        vm.prank(NODE);
        coprocessor.fulfillBatch(ids, words, proofs);
        assertEq(stakeBefore - nodes.getOperator(other).stake, othersPrimary * 0.01 ether, "one miss slash per request the primary let pass");
        assertEq(nodes.getOperator(other).missed, othersPrimary, "its misses recorded");
    }

    /// @dev Gas per answer of fulfillBatch for N = 1, 4, 8, 16 beside fulfill, each on cold
    /// storage as a transaction of its own: execution + 21,000 + calldata (16 gas a non-zero
    /// byte, 4 a zero byte). `npm run bench:batch` measures receipts on anvil.
    function test_gas_perAnswer_batchesOf1_4_8_16() public {
        uint256 single = gasOf(1, false);
        emit log_named_uint("fulfill, gas per answer", single);
        uint256[4] memory sizes = [uint256(1), 4, 8, 16];
        uint256 last = type(uint256).max;
        for (uint256 k = 0; k < 4; k++) {
            uint256 perAnswer = gasOf(sizes[k], true) / sizes[k];
            emit log_named_uint(string.concat("fulfillBatch N=", Strings.toString(sizes[k]), ", gas per answer"), perAnswer);
            assertTrue(perAnswer < last, "a larger batch costs less per answer");
            last = perAnswer;
        }
        assertTrue(last < single / 2, "a batch of 16 costs under half of fulfill per answer");
    }

    /// @dev Requests 1..n from accounts without code (no callback runs: the app's own callback
    /// is not the fulfilment's cost), then the gas of fulfilling them in one transaction.
    function gasOf(uint256 n, bool batch) internal returns (uint256) {
        uint256 snap = vmx.snapshotState();
        bytes[] memory inputs = BatchFixture.inputs();
        uint256[] memory ids = new uint256[](n);
        for (uint256 i = 0; i < n; i++) ids[i] = requestFrom(address(uint160(0x5000 + i)), inputs[i]);
        vm.roll(block.number + 1);
        (uint256[][] memory words, uint256[8][] memory proofs) = firstN(n);
        bytes memory data = batch
            ? abi.encodeCall(Coprocessor.fulfillBatch, (ids, words, proofs))
            : abi.encodeCall(Coprocessor.fulfill, (ids[0], words[0], proofs[0]));
        vmx.cool(address(coprocessor));
        vmx.cool(address(nodes));
        vmx.cool(address(registry));
        vmx.cool(verifier);
        vm.prank(NODE);
        uint256 g = gasleft();
        (bool ok,) = address(coprocessor).call(data);
        uint256 used = g - gasleft();
        assertTrue(ok, "fulfilment succeeded");
        vmx.revertToState(snap);
        return used + 21_000 + calldataGas(data);
    }

    function calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i = 0; i < data.length; i++) gas += data[i] == 0 ? 4 : 16;
    }
}
