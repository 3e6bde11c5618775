// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CoprocessorViews} from "../src/CoprocessorViews.sol";
import {CoprocessorFixture} from "./Coprocessor.t.sol";
import {RecordingConsumer, RevertingConsumer} from "./utils/Mocks.sol";
import {Coprocessor} from "../src/Coprocessor.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {IRequestBatchRegistry} from "../src/interfaces/IRequestBatchRegistry.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @dev Accepts exactly one call: the verifyProof call with the public signals the test expects.
contract ExpectingVerifier {
    bytes32 public expected;

    function expect(bytes calldata call) external {
        expected = keccak256(call);
    }

    fallback(bytes calldata data) external returns (bytes memory) {
        return abi.encode(keccak256(data) == expected);
    }
}

/// @dev Coprocessor.fulfillRequests and ModelRegistry.setRequestBatchVerifier with a verifier that
/// accepts only the public signals the request-batch circuit must get (real proofs: the node's
/// requestBatch.test.ts on anvil).
contract RequestBatchTest is CoprocessorFixture {
    ExpectingVerifier internal batchVerifier;
    uint16 internal constant K = 4;
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    event Fulfilled(uint256 indexed requestId, address indexed node, bytes output);
    event CallbackCompleted(uint256 indexed requestId, bool success);

    function setUp() public override {
        super.setUp();
        batchVerifier = new ExpectingVerifier();
        nextBlock();
        vm.prank(modelOwner);
        registry.setRequestBatchVerifier(modelId, 1, address(batchVerifier), K);
        nextBlock();
    }

    /// @dev Slot i's outputs (i + 1, -(i + 1)), all K slots packed in one word (8 values of 18 bits).
    function words() internal pure returns (uint256[] memory w) {
        int256[] memory v = new int256[](2 * K);
        for (uint256 i = 0; i < K; i++) {
            v[2 * i] = int256(i + 1);
            v[2 * i + 1] = -int256(i + 1);
        }
        return pack(v, 18);
    }

    /// @dev The verifyProof call the Coprocessor must make for `ids` sent by `prover`.
    function expectedCall(uint256[] memory ids, uint256[] memory w, address prover) internal view returns (bytes memory) {
        // Output words, one signal per two slots' commitments (c_2j + 2^128 c_2j+1 mod p), the binding.
        uint256[] memory signals = new uint256[](w.length + (K + 1) / 2 + 1);
        for (uint256 i = 0; i < w.length; i++) signals[i] = w[i];
        for (uint256 i = 0; i < ids.length; i++) {
            uint256 c = CoprocessorViews(address(coprocessor)).getRequest(ids[i]).inputCommitment;
            signals[w.length + i / 2] = addmod(signals[w.length + i / 2], mulmod(i % 2 == 0 ? 1 : 2 ** 128, c, P), P);
        }
        signals[signals.length - 1] =
            uint256(keccak256(abi.encode(block.chainid, address(coprocessor), prover, ids))) >> 4;
        bytes4 selector = bytes4(
            keccak256(bytes(string.concat("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", Strings.toString(signals.length), "])")))
        );
        return abi.encodePacked(selector, proof(), signals);
    }

    function threeRequests() internal returns (uint256[] memory ids, address[] memory consumers) {
        consumers = new address[](3);
        consumers[0] = address(new RecordingConsumer());
        consumers[1] = address(new RevertingConsumer());
        consumers[2] = address(new RecordingConsumer());
        ids = new uint256[](3);
        for (uint256 i = 0; i < 3; i++) ids[i] = requestAs(consumers[i]);
        nextBlock();
    }

    function test_fulfillRequests_threeSendersOneProof_eachPaidClosedAndCalledBack() public {
        (uint256[] memory ids, address[] memory consumers) = threeRequests();
        uint256[] memory w = words();
        batchVerifier.expect(expectedCall(ids, w, node));
        uint256 escrow = CoprocessorViews(address(coprocessor)).getRequest(ids[0]).escrow;
        vm.expectEmit(true, true, false, false, address(coprocessor));
        emit Fulfilled(ids[0], node, "");
        vm.prank(node);
        coprocessor.fulfillRequests{gas: 2_000_000}(ids, w, proof());
        for (uint256 i = 0; i < 3; i++) {
            assertTrue(CoprocessorViews(address(coprocessor)).getRequest(ids[i]).status == Coprocessor.Status.Fulfilled, "each request closed");
        }
        RecordingConsumer first = RecordingConsumer(consumers[0]);
        RecordingConsumer third = RecordingConsumer(consumers[2]);
        assertEq(first.lastRequestId(), ids[0], "slot 0 answers the first request");
        assertEq(first.lastValues(0), int256(1), "slot 0 output 0");
        assertEq(first.lastValues(1), int256(-1), "slot 0 output 1");
        assertEq(third.lastRequestId(), ids[2], "slot 2 answers the third, after a reverting callback");
        assertEq(third.lastValues(0), int256(3), "slot 2 output 0");
        assertEq(third.lastValues(1), int256(-3), "slot 2 output 1");
        assertEq(coprocessor.balanceOf(modelOwner), 3 * MODEL_FEE, "model fees in one sum");
        assertEq(coprocessor.balanceOf(node), 3 * (escrow - MODEL_FEE - coprocessor.protocolFee()), "node shares in one sum");
        assertEq(coprocessor.totalEscrow(), 0, "no escrow left");
        assertEq(nodes.getOperator(node).served, 3, "three served");
    }

    function test_fulfillRequests_otherSignals_revertInvalidBatchProof() public {
        (uint256[] memory ids,) = threeRequests();
        uint256[] memory w = words();
        batchVerifier.expect(expectedCall(ids, w, node));
        // Another prover's binding, a changed word, or the proof of the first two only.
        address other = address(0xCAFE);
        stake(other, 1 ether);
        vm.warp(block.timestamp + 31);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidBatchProof.selector, ids[0], 3));
        coprocessor.fulfillRequests(ids, w, proof());
        uint256[] memory changed = words();
        changed[0] += 1;
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidBatchProof.selector, ids[0], 3));
        coprocessor.fulfillRequests(ids, changed, proof());
        uint256[] memory two = new uint256[](2);
        (two[0], two[1]) = (ids[0], ids[1]);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidBatchProof.selector, ids[0], 2));
        coprocessor.fulfillRequests(two, w, proof());
    }

    function test_fulfillRequests_refusesWhatFulfillRefuses() public {
        (uint256[] memory ids,) = threeRequests();
        uint256[] memory w = words();
        // Output word count of K slots.
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.OutputLengthMismatch.selector, ids[0], 1, 2));
        coprocessor.fulfillRequests(ids, new uint256[](2), proof());
        // Ascending ids only.
        uint256[] memory swapped = new uint256[](2);
        (swapped[0], swapped[1]) = (ids[1], ids[0]);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestIdsNotAscending.selector, ids[1], ids[0]));
        coprocessor.fulfillRequests(swapped, w, proof());
        // More requests than slots.
        uint256[] memory five = new uint256[](5);
        five[0] = ids[0];
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestBatchSize.selector, 5, K));
        coprocessor.fulfillRequests(five, w, proof());
        // Not serving the model.
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NotServing.selector, address(0xBAD), modelId));
        coprocessor.fulfillRequests(ids, w, proof());
        // A refunded request.
        vm.warp(block.timestamp + coprocessor.requestTimeout() + 1);
        coprocessor.refund(ids[1]);
        uint64 deadline = CoprocessorViews(address(coprocessor)).getRequest(ids[0]).deadline;
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestExpired.selector, ids[0], deadline));
        coprocessor.fulfillRequests(ids, w, proof());
        uint256[] memory rest = new uint256[](2);
        (rest[0], rest[1]) = (ids[1], ids[2]);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestNotPending.selector, ids[1], Coprocessor.Status.Refunded));
        coprocessor.fulfillRequests(rest, w, proof());
    }

    function test_fulfillRequests_insideTheWindowOnlyThePrimary() public {
        address other = address(0xCAFE);
        stake(other, 1 ether);
        uint256 id = requestFor(other);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        uint64 until = CoprocessorViews(address(coprocessor)).getRequest(id).exclusiveUntil;
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NotAssigned.selector, id, other, until));
        coprocessor.fulfillRequests(ids, words(), proof());
    }

    function test_fulfillRequests_requestBeforeTheBatchVerifierOrWithoutOne_reverts() public {
        // A second model: a request made before its batch verifier, then one without any.
        bytes32 other = _registerOther();
        vm.prank(node);
        nodes.serveModel(other);
        uint256 fee = coprocessor.quote(other, CB_GAS);
        vm.deal(address(this), 2 * fee);
        uint256[] memory ids = new uint256[](1);
        ids[0] = coprocessor.request{value: fee}(other, input(), CB_GAS);
        nextBlock();
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NoRequestBatchVerifier.selector, other, 1));
        coprocessor.fulfillRequests(ids, words(), proof());
        vm.prank(modelOwner);
        registry.setRequestBatchVerifier(other, 1, address(batchVerifier), K);
        vm.warp(block.timestamp + 31);
        vm.prank(node);
        vm.expectRevert(
            abi.encodeWithSelector(Coprocessor.RequestBeforeBatchVerifier.selector, ids[0], uint64(block.number - 1), uint64(block.number))
        );
        coprocessor.fulfillRequests(ids, words(), proof());
        // Mixed: a request of `other` made after its batch verifier, then one of `modelId`.
        nextBlock();
        uint256[] memory mixed = new uint256[](2);
        mixed[0] = coprocessor.request{value: fee}(other, input(), CB_GAS);
        mixed[1] = requestAs(address(new RecordingConsumer()));
        nextBlock();
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.MixedBatch.selector, mixed[1], other, 1));
        coprocessor.fulfillRequests(mixed, words(), proof());
    }

    function test_fulfillRequests_sameRequestTwice_revertsDuplicate() public {
        (uint256[] memory ids,) = threeRequests();
        uint256[] memory twice = new uint256[](2);
        (twice[0], twice[1]) = (ids[0], ids[0]);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.DuplicateRequest.selector, ids[0]));
        coprocessor.fulfillRequests(twice, words(), proof());
    }

    /// A request made after the model's fee changed has other terms: it joins the batch (same
    /// model and version) and pays its own fee; once answered it cannot be answered again, and
    /// keeps its requester and status (its escrow and commitment are cleared).
    function test_fulfillRequests_termsChangedInBetween_eachPaysItsOwnFee_thenClosedForGood() public {
        uint256[] memory ids = new uint256[](2);
        ids[0] = requestAs(address(new RecordingConsumer()));
        vm.prank(modelOwner);
        registry.setFee(modelId, 3 * MODEL_FEE);
        ids[1] = requestAs(address(new RecordingConsumer()));
        nextBlock();
        assertEq(CoprocessorViews(address(coprocessor)).getRequest(ids[1]).modelFee, 3 * MODEL_FEE, "the second request's terms");
        uint256[] memory w = words();
        batchVerifier.expect(expectedCall(ids, w, node));
        vm.prank(node);
        coprocessor.fulfillRequests{gas: 2_000_000}(ids, w, proof());
        assertEq(coprocessor.balanceOf(modelOwner), 4 * MODEL_FEE, "each request's own model fee");
        assertEq(coprocessor.totalEscrow(), 0, "no escrow left");
        Coprocessor.Request memory r = CoprocessorViews(address(coprocessor)).getRequest(ids[0]);
        assertTrue(r.status == Coprocessor.Status.Fulfilled, "fulfilled");
        assertTrue(r.requester != address(0) && r.modelId == modelId, "requester and terms kept");
        assertEq(r.escrow + r.inputCommitment + r.deadline, 0, "escrow, commitment and times cleared");
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestNotPending.selector, ids[0], Coprocessor.Status.Fulfilled));
        coprocessor.fulfillRequests(ids, w, proof());
    }

    /// @dev A second model of the same owner, with the first one's version spec.
    function _registerOther() internal returns (bytes32) {
        (ModelRegistry.VersionSpec memory s,) = registry.getVersion(modelId, 1);
        ModelRegistry.Mode mode = registry.getModel(modelId).mode;
        vm.prank(modelOwner);
        return registry.registerModel("other", mode, s, MODEL_FEE);
    }

    function test_setRequestBatchVerifier_ownerOnceWithinBounds() public {
        IRequestBatchRegistry.RequestBatch memory b = registry.requestBatchOf(modelId, 1);
        assertEq(b.verifier, address(batchVerifier), "batch verifier");
        assertEq(b.k, K, "k");
        vm.prank(modelOwner);
        vm.expectRevert(
            abi.encodeWithSelector(IRequestBatchRegistry.RequestBatchVerifierAlreadySet.selector, modelId, 1, address(batchVerifier))
        );
        registry.setRequestBatchVerifier(modelId, 1, address(verifier), K);
        vm.expectRevert();
        registry.setRequestBatchVerifier(modelId, 1, address(verifier), K);
        bytes32 other = _registerOther();
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(IRequestBatchRegistry.InvalidRequestBatch.selector, other, 1, address(verifier), 1));
        registry.setRequestBatchVerifier(other, 1, address(verifier), 1);
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(IRequestBatchRegistry.InvalidRequestBatch.selector, other, 1, address(0x1234), 4));
        registry.setRequestBatchVerifier(other, 1, address(0x1234), 4);
    }
}
