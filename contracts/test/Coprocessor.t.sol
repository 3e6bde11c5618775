// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {Specs} from "./utils/Specs.sol";
import {MockVerifier, RecordingConsumer, RevertingConsumer, GasBurningConsumer} from "./utils/Mocks.sol";
import {Coprocessor, IPoseidon6} from "../src/Coprocessor.sol";
import {PullPayments} from "../src/PullPayments.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {Poseidon6} from "../src/generated/Poseidon6.sol";

contract CoprocessorFixture is TestBase {
    ModelRegistry internal registry;
    NodeRegistry internal nodes;
    Coprocessor internal coprocessor;
    MockVerifier internal verifier;
    IPoseidon6 internal poseidon;
    bytes32 internal modelId;
    address internal modelOwner = address(0xA11CE);
    address internal node = address(0xB0B);
    uint256 internal constant MODEL_FEE = 0.002 ether;
    uint32 internal constant CB_GAS = 200_000;

    function setUp() public virtual {
        registry = new ModelRegistry(0);
        poseidon = IPoseidon6(Poseidon6.deploy());
        nodes = new NodeRegistry(address(this), 1 ether, 7 days);
        coprocessor = new Coprocessor(registry, poseidon, nodes, address(this));
        nodes.setSlasher(address(coprocessor), true);
        stake(node, 1 ether);
        verifier = new MockVerifier();
        vm.prank(modelOwner);
        modelId = registry.registerModel("spam", IModelRegistry.Mode.Proved, Specs.proved(address(verifier), keccak256("weights"), io()), MODEL_FEE);
    }

    function stake(address who, uint256 amount) internal {
        vm.deal(who, amount);
        vm.prank(who);
        nodes.register{value: amount}("node", "http://localhost");
    }

    function io() internal pure returns (IModelRegistry.IOSpec memory) {
        return IModelRegistry.IOSpec({inputCount: 4, inputWidth: 1, outputCount: 2, outputBits: 18, outputScale: 12});
    }

    function input() internal pure returns (bytes memory) {
        return hex"80818283";
    }

    /// @dev Packs signed outputs as the circuit does (offset-encoded, first value lowest).
    function pack(int256[] memory values, uint8 bits) internal pure returns (uint256[] memory words) {
        uint256 perWord = 248 / bits;
        words = new uint256[]((values.length + perWord - 1) / perWord);
        for (uint256 i = 0; i < values.length; i++) {
            uint256 v = uint256(values[i] + int256(uint256(1) << (bits - 1)));
            words[i / perWord] |= v << (bits * (i % perWord));
        }
    }

    function twoOutputs(int256 a, int256 b) internal pure returns (uint256[] memory) {
        int256[] memory v = new int256[](2);
        v[0] = a;
        v[1] = b;
        return pack(v, 18);
    }

    function requestAs(address requester) internal returns (uint256 id) {
        uint256 fee = coprocessor.quote(modelId, CB_GAS);
        vm.deal(requester, fee);
        vm.prank(requester);
        id = coprocessor.request{value: fee}(modelId, input(), CB_GAS);
    }

    function proof() internal pure returns (uint256[8] memory p) {
        p[0] = 1;
    }
}

contract CoprocessorTest is CoprocessorFixture {
    function test_poseidonMatchesCircomlibjs() public view {
        uint256[6] memory xs = [uint256(0), 1, 2, 3, 4, 5];
        assertEq(poseidon.poseidon(xs), Poseidon6.TEST_VECTOR, "poseidon");
    }

    function test_inputCommitment_packsBigEndianChunks() public view {
        // 4 one-byte values fit one chunk: h = Poseidon(0, 0x80818283, 0, 0, 0, 0).
        uint256[6] memory xs = [uint256(0), 0x80818283, 0, 0, 0, 0];
        assertEq(coprocessor.inputCommitment(input(), 1, 0), poseidon.poseidon(xs), "commitment");
    }

    function test_inputCommitment_chainsEveryFiveChunks() public view {
        bytes memory data = new bytes(31 * 6 + 1); // 7 chunks: two Poseidon calls
        data[0] = 0x01;
        data[31 * 6] = 0x02;
        uint256[6] memory first = [uint256(0), uint256(1) << 240, 0, 0, 0, 0];
        uint256 h = poseidon.poseidon(first);
        uint256[6] memory second = [h, 0, 2, 0, 0, 0];
        assertEq(this.commitmentOf(data), poseidon.poseidon(second), "chained commitment");
    }

    function commitmentOf(bytes calldata data) external view returns (uint256) {
        return coprocessor.inputCommitment(data, 1, 0);
    }

    function test_request_escrowsFeeAndStoresCommitment() public {
        RecordingConsumer c = new RecordingConsumer();
        uint256 id = requestAs(address(c));
        Coprocessor.Request memory r = coprocessor.getRequest(id);
        assertEq(uint256(r.status), uint256(Coprocessor.Status.Pending), "status");
        assertEq(r.escrow, coprocessor.quote(modelId, CB_GAS), "escrow");
        assertEq(address(coprocessor).balance, r.escrow, "held");
        assertEq(r.inputCommitment, coprocessor.inputCommitment(input(), 1, 0), "commitment");
        assertEq(r.deadline, block.timestamp + coprocessor.requestTimeout(), "deadline");
    }

    function test_request_secretWeightsSeedTheCommitment() public {
        // A model compiled with --weights committed: the registered weights commitment is h_0.
        uint256 weights = 0x1234567890abcdef;
        vm.prank(modelOwner);
        bytes32 secretId = registry.registerModel("secret", IModelRegistry.Mode.Proved, Specs.committed(address(verifier), weights, io()), MODEL_FEE);
        uint256 fee = coprocessor.quote(secretId, CB_GAS);
        uint256 id = coprocessor.request{value: fee}(secretId, input(), CB_GAS);
        uint256[6] memory xs = [weights, 0x80818283, 0, 0, 0, 0];
        assertEq(coprocessor.getRequest(id).inputCommitment, poseidon.poseidon(xs), "seeded commitment");
        assertTrue(coprocessor.getRequest(id).inputCommitment != coprocessor.inputCommitment(input(), 1, 0), "differs from unseeded");
    }

    function testFuzz_request_underpaidReverts(uint256 paid) public {
        uint256 fee = coprocessor.quote(modelId, CB_GAS);
        paid = bound(paid, 0, fee - 1);
        vm.deal(address(this), paid);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InsufficientFee.selector, fee, paid));
        coprocessor.request{value: paid}(modelId, input(), CB_GAS);
    }

    function test_request_unknownModelReverts() public {
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, unknown));
        coprocessor.request{value: 1 ether}(unknown, input(), CB_GAS);
    }

    function testFuzz_request_wrongInputLengthReverts(bytes calldata data) public {
        vm.assume(data.length != 4);
        vm.deal(address(this), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InputLengthMismatch.selector, modelId, 4, data.length));
        coprocessor.request{value: 1 ether}(modelId, data, CB_GAS);
    }

    function test_request_callbackGasCap() public {
        uint32 cap = coprocessor.maxCallbackGasLimit();
        vm.deal(address(this), 10 ether);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.CallbackGasLimitTooHigh.selector, cap + 1, cap));
        coprocessor.request{value: 10 ether}(modelId, input(), cap + 1);
    }

    function test_fulfill_paysAndCallsBack() public {
        RecordingConsumer c = new RecordingConsumer();
        uint256 id = requestAs(address(c));
        uint256 escrow = coprocessor.getRequest(id).escrow;
        vm.prank(node);
        coprocessor.fulfill(id, twoOutputs(-300, 4096), proof());
        assertEq(uint256(coprocessor.getRequest(id).status), uint256(Coprocessor.Status.Fulfilled), "status");
        assertEq(c.calls(), 1, "callback calls");
        assertEq(c.lastRequestId(), id, "request id");
        assertEq(c.lastValues(0), -300, "output 0");
        assertEq(c.lastValues(1), 4096, "output 1");
        assertEq(coprocessor.balanceOf(modelOwner), MODEL_FEE, "owner paid");
        assertEq(coprocessor.balanceOf(node), escrow - MODEL_FEE, "node paid");
        assertEq(coprocessor.totalEscrow(), 0, "escrow released");
    }

    function test_fulfill_bindsProverAndRequest() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        assertTrue(coprocessor.requestBinding(id, node) != coprocessor.requestBinding(id, address(0xBAD)), "prover bound");
        assertTrue(coprocessor.requestBinding(id, node) != coprocessor.requestBinding(id + 1, node), "request bound");
        assertTrue(coprocessor.requestBinding(id, node) < (uint256(1) << 252), "binding fits the field");
    }

    function test_fulfill_invalidProofReverts() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        verifier.setAccept(false);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.InvalidProof.selector, id));
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
    }

    function test_fulfill_twiceReverts() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        vm.prank(node);
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestNotPending.selector, id, Coprocessor.Status.Fulfilled));
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
    }

    function test_fulfill_afterDeadlineReverts() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        uint64 deadline = coprocessor.getRequest(id).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestExpired.selector, id, deadline));
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
    }

    function test_fulfill_wrongOutputCountReverts() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        uint256[] memory words = new uint256[](2);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.OutputLengthMismatch.selector, id, 1, 2));
        coprocessor.fulfill(id, words, proof());
    }

    function test_fulfill_revertingCallbackStillFulfils() public {
        uint256 id = requestAs(address(new RevertingConsumer()));
        vm.expectEmit(true, false, false, true);
        emit Coprocessor.CallbackCompleted(id, false);
        vm.prank(node);
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        assertEq(uint256(coprocessor.getRequest(id).status), uint256(Coprocessor.Status.Fulfilled), "status");
    }

    function test_fulfill_gasBurningCallbackStillFulfils() public {
        uint256 id = requestAs(address(new GasBurningConsumer()));
        vm.prank(node);
        coprocessor.fulfill{gas: 1_000_000}(id, twoOutputs(1, 2), proof());
        assertEq(uint256(coprocessor.getRequest(id).status), uint256(Coprocessor.Status.Fulfilled), "status");
    }

    function test_fulfill_callbackGetsThePaidGas() public {
        RecordingConsumer c = new RecordingConsumer();
        uint256 id = requestAs(address(c));
        vm.prank(node);
        coprocessor.fulfill{gas: 500_000}(id, twoOutputs(1, 2), proof());
        assertGe(c.gasAtEntry(), CB_GAS - 1_000, "gas at callback entry");
    }

    function test_fulfill_tooLittleGasForCallbackReverts() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        vm.prank(node);
        // Enough to verify and book-keep, not enough to forward the paid callback gas.
        (bool ok, bytes memory ret) = address(coprocessor).call{gas: 120_000}(
            abi.encodeCall(Coprocessor.fulfill, (id, twoOutputs(1, 2), proof()))
        );
        assertTrue(!ok, "must revert");
        assertEq(bytes32(bytes4(ret)), bytes32(Coprocessor.InsufficientCallbackGas.selector), "error");
        assertEq(uint256(coprocessor.getRequest(id).status), uint256(Coprocessor.Status.Pending), "still pending");
    }

    function test_refund_onlyAfterDeadline() public {
        address requester = address(new RecordingConsumer());
        uint256 id = requestAs(requester);
        Coprocessor.Request memory r = coprocessor.getRequest(id);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestNotExpired.selector, id, r.deadline));
        coprocessor.refund(id);
        vm.warp(r.deadline + 1);
        coprocessor.refund(id);
        assertEq(coprocessor.balanceOf(requester), r.escrow + coprocessor.missSlash(), "refund and the primary's slashed stake credited");
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.RequestNotPending.selector, id, Coprocessor.Status.Refunded));
        coprocessor.refund(id);
    }

    function test_withdraw_paysOutOnce() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        vm.prank(node);
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        uint256 owed = coprocessor.balanceOf(node);
        vm.prank(node);
        coprocessor.withdraw();
        assertEq(node.balance, owed, "paid");
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(PullPayments.NothingToWithdraw.selector, node));
        coprocessor.withdraw();
    }

    function testFuzz_decodeOutputs_roundTrips(int64 a, int64 b, int64 c, uint8 bitsSeed) public view {
        uint8 bits = uint8(bound(bitsSeed, 66, 124));
        int256[] memory v = new int256[](3);
        v[0] = a;
        v[1] = b;
        v[2] = c;
        IModelRegistry.IOSpec memory spec = IModelRegistry.IOSpec(1, 1, 3, bits, 0);
        int256[] memory got = this.decode(spec, pack(v, bits));
        for (uint256 i = 0; i < 3; i++) {
            assertEq(got[i], v[i], "value");
        }
    }

    // ------------------------------------------------------------ assignment and money

    function test_request_assignsAStakedPrimaryWithAWindow() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        Coprocessor.Request memory r = coprocessor.getRequest(id);
        assertEq(r.primary, node, "the only staked node");
        assertEq(r.exclusiveUntil, block.timestamp + coprocessor.assignmentWindow(), "window");
    }

    function test_request_withoutStakedNodesReverts() public {
        vm.prank(node);
        nodes.unbond(1 ether);
        uint256 fee = coprocessor.quote(modelId, CB_GAS);
        vm.expectRevert(NodeRegistry.NoActiveOperator.selector);
        coprocessor.request{value: fee}(modelId, input(), CB_GAS);
    }

    function test_fulfill_onlyThePrimaryInsideItsWindow() public {
        address other = address(0xC0DE);
        stake(other, 1 ether);
        // Find a request whose primary is `node` (draws are proportional to stake: half each).
        uint256 id;
        for (uint256 i = 0; i < 20; i++) {
            id = requestAs(address(new RecordingConsumer()));
            if (coprocessor.getRequest(id).primary == node) break;
            vm.roll(block.number + 1);
        }
        Coprocessor.Request memory r = coprocessor.getRequest(id);
        assertEq(r.primary, node, "found a request for node");
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NotAssigned.selector, id, node, r.exclusiveUntil));
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        vm.warp(r.exclusiveUntil);
        uint256 requesterBefore = coprocessor.balanceOf(r.requester);
        vm.prank(other);
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        assertEq(nodes.getOperator(other).served, 1, "served counted");
        assertEq(nodes.getOperator(node).missed, 1, "the primary's miss counted");
        assertEq(nodes.getOperator(node).stake, 1 ether - coprocessor.missSlash(), "the primary slashed");
        assertEq(coprocessor.balanceOf(r.requester), requesterBefore + coprocessor.missSlash(), "slash credited to the requester");
        assertEq(coprocessor.balanceOf(other), r.escrow - r.modelFee - r.protocolFee, "the backup earns the node fee");
        assertEq(address(coprocessor).balance, coprocessor.totalEscrow() + coprocessor.totalOwed(), "held = escrow + owed");
    }

    function test_fulfill_withoutAnAssignmentWindowNobodyIsSlashed() public {
        address other = address(0xC0DE);
        stake(other, 1 ether);
        coprocessor.setNetworkParameters(0, address(this), 0, 0.01 ether);
        uint256 id;
        for (uint256 i = 0; i < 20; i++) {
            id = requestAs(address(new RecordingConsumer()));
            if (coprocessor.getRequest(id).primary == node) break;
            vm.roll(block.number + 1);
        }
        assertEq(coprocessor.getRequest(id).primary, node, "found a request for node");
        vm.prank(other);
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        assertEq(nodes.getOperator(node).missed, 0, "no miss");
        assertEq(nodes.getOperator(node).stake, 1 ether, "no slash");
    }

    function test_fulfill_byAnUnstakedCallerReverts() public {
        uint256 id = requestAs(address(new RecordingConsumer()));
        vm.warp(block.timestamp + coprocessor.assignmentWindow());
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(Coprocessor.NotActiveNode.selector, address(0xBAD)));
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
    }

    function test_fulfill_splitsModelNodeAndProtocolFees() public {
        address treasury = address(0x7EA);
        coprocessor.setNetworkParameters(0.0005 ether, treasury, 30, 0.01 ether);
        assertEq(coprocessor.quote(modelId, CB_GAS), MODEL_FEE + coprocessor.nodeFee() + 0.0005 ether + uint256(CB_GAS) * coprocessor.callbackGasPrice(), "quote");
        uint256 id = requestAs(address(new RecordingConsumer()));
        uint256 escrow = coprocessor.getRequest(id).escrow;
        vm.prank(node);
        coprocessor.fulfill(id, twoOutputs(1, 2), proof());
        assertEq(coprocessor.balanceOf(modelOwner), MODEL_FEE, "owner");
        assertEq(coprocessor.balanceOf(treasury), 0.0005 ether, "protocol");
        assertEq(coprocessor.balanceOf(node), escrow - MODEL_FEE - 0.0005 ether, "node");
    }

    function test_refund_slashesTheMissingPrimaryToTheRequester() public {
        address requester = address(new RecordingConsumer());
        uint256 id = requestAs(requester);
        Coprocessor.Request memory r = coprocessor.getRequest(id);
        vm.warp(r.deadline + 1);
        coprocessor.refund(id);
        uint256 slash = coprocessor.missSlash();
        assertEq(coprocessor.balanceOf(requester), r.escrow + slash, "escrow and the slashed stake");
        assertEq(nodes.getOperator(node).stake, 1 ether - slash, "stake taken");
        assertEq(nodes.getOperator(node).missed, 1, "missed counted");
        assertEq(address(coprocessor).balance, coprocessor.totalEscrow() + coprocessor.totalOwed(), "held = escrow + owed");
        assertTrue(!nodes.isActive(node), "below the minimum now");
    }

    function test_receive_onlyFromTheNodeRegistry() public {
        vm.deal(address(this), 1 ether);
        (bool ok,) = address(coprocessor).call{value: 1}("");
        assertTrue(!ok, "stray payment refused");
    }

    function decode(IModelRegistry.IOSpec memory spec, uint256[] calldata words) external view returns (int256[] memory) {
        return coprocessor.decodeOutputs(spec, words);
    }
}
