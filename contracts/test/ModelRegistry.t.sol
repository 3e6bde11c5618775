// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {MockVerifier} from "./utils/Mocks.sol";
import {Specs} from "./utils/Specs.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";

contract ModelRegistryTest is TestBase {
    ModelRegistry internal registry;
    address internal verifier;
    IModelRegistry.IOSpec internal io = IModelRegistry.IOSpec(64, 1, 2, 20, 8);
    uint64 internal constant DELAY = 2 days;

    uint256 internal constant FIELD = 21888242871839275222246405745257298275088548364400416034343698204186575808495;

    function setUp() public {
        registry = new ModelRegistry(DELAY);
        verifier = address(new MockVerifier());
    }

    function register() internal returns (bytes32) {
        return registry.registerModel("m", IModelRegistry.Mode.Proved, Specs.proved(verifier, 0, io), 0);
    }

    function testFuzz_register_storesEverything(bytes32 commitment, uint256 weights, uint256 fee, address owner) public {
        vm.assume(owner != address(0));
        weights = bound(weights, 1, FIELD - 1);
        IModelRegistry.VersionSpec memory spec = Specs.committed(verifier, weights, io);
        spec.commitment = commitment;
        spec.setup = IModelRegistry.SetupKind.Ceremony;
        vm.prank(owner);
        bytes32 id = registry.registerModel("m", IModelRegistry.Mode.Proved, spec, fee);
        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(id, keccak256(abi.encode(owner, "m")), "id");
        assertEq(m.owner, owner, "owner");
        assertEq(m.commitment, commitment, "commitment");
        assertEq(m.weightsCommitment, weights, "weights commitment");
        assertEq(m.fee, fee, "fee");
        assertEq(m.version, 1, "version");
        assertEq(m.verifier, verifier, "verifier");
        assertEq(uint256(m.pinning), uint256(IModelRegistry.WeightsPinning.Commitment), "pinning");
        assertEq(uint256(m.setup), uint256(IModelRegistry.SetupKind.Ceremony), "setup kind");
    }

    /// Attack 4, on-chain half: the setup kind is on the record for every version.
    function test_register_recordsADevSetup() public {
        vm.expectEmit(true, true, false, true);
        emit IModelRegistry.ModelRegistered(
            registry.modelIdOf(address(this), "m"), address(this), "m", IModelRegistry.Mode.Proved, verifier, 0, 0,
            IModelRegistry.WeightsPinning.VerifyingKey, IModelRegistry.SetupKind.Dev
        );
        bytes32 id = register();
        assertEq(uint256(registry.getModel(id).setup), uint256(IModelRegistry.SetupKind.Dev), "dev setup recorded");
    }

    function test_register_twiceReverts() public {
        bytes32 id = register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelAlreadyRegistered.selector, id));
        register();
    }

    function test_register_provedNeedsVerifierCode() public {
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.MissingVerifier.selector, id));
        registry.registerModel("m", IModelRegistry.Mode.Proved, Specs.proved(address(0xdead), 0, io), 0);
    }

    function test_register_rejectsEmptySpec() public {
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidIOSpec.selector, id));
        registry.registerModel("m", IModelRegistry.Mode.Proved, Specs.proved(verifier, 0, IModelRegistry.IOSpec(0, 1, 2, 20, 8)), 0);
    }

    function testFuzz_register_rejectsWeightsCommitmentOutsideTheField(uint256 weights) public {
        weights = bound(weights, FIELD, type(uint256).max);
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidWeightsCommitment.selector, id, weights));
        registry.registerModel("m", IModelRegistry.Mode.Proved, Specs.committed(verifier, weights, io), 0);
    }

    /// Attack 3, on-chain half: a proved model whose weights are free private inputs
    /// (`--weights signals`) could be answered with any weights; the registry refuses it.
    function test_register_refusesUnpinnedWeights() public {
        IModelRegistry.VersionSpec memory spec = Specs.proved(verifier, 0, io);
        spec.pinning = IModelRegistry.WeightsPinning.None;
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.WeightsNotPinned.selector, id));
        registry.registerModel("m", IModelRegistry.Mode.Proved, spec, 0);
        // Nor can an update unpin a registered model.
        id = register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.WeightsNotPinned.selector, id));
        registry.updateModel(id, spec);
    }

    function test_register_pinningMustMatchTheWeightsCommitment() public {
        bytes32 id = registry.modelIdOf(address(this), "m");
        IModelRegistry.VersionSpec memory spec = Specs.committed(verifier, 0, io);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.InvalidWeightsPinning.selector, id, IModelRegistry.WeightsPinning.Commitment, 0)
        );
        registry.registerModel("m", IModelRegistry.Mode.Proved, spec, 0);
        spec = Specs.proved(verifier, 0, io);
        spec.weightsCommitment = 7;
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.InvalidWeightsPinning.selector, id, IModelRegistry.WeightsPinning.VerifyingKey, 7)
        );
        registry.registerModel("m", IModelRegistry.Mode.Proved, spec, 0);
        // An agreed model pins nothing (its answers are voted on, not proved).
        spec.weightsCommitment = 0;
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.InvalidWeightsPinning.selector, id, IModelRegistry.WeightsPinning.VerifyingKey, 0)
        );
        registry.registerModel("m", IModelRegistry.Mode.Agreed, spec, 0);
        registry.registerModel("m", IModelRegistry.Mode.Agreed, Specs.agreed(keccak256("llama")), 0);
    }

    function test_constructor_boundsTheUpgradeDelay() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidUpgradeDelay.selector, uint64(30 days + 1)));
        new ModelRegistry(30 days + 1);
    }

    /// Attack 5: an update (say, to an accept-all verifier) is visible as pending and takes
    /// effect only after `upgradeDelay`; until then requests see version 1.
    function test_update_takesEffectOnlyAfterTheDelay() public {
        bytes32 id = register();
        address other = address(0xBEEF);
        IModelRegistry.VersionSpec memory v2 = Specs.proved(address(new MockVerifier()), bytes32(uint256(1)), io);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, id, other));
        registry.updateModel(id, v2);
        uint64 activeFrom = uint64(block.timestamp) + DELAY;
        vm.expectEmit(true, false, false, true);
        emit IModelRegistry.ModelUpdateScheduled(id, 2, v2.verifier, v2.commitment, activeFrom);
        registry.updateModel(id, v2);
        (uint32 pending, uint64 from) = registry.pendingUpdate(id);
        assertEq(pending, 2, "pending version");
        assertEq(from, activeFrom, "pending from");
        vm.warp(activeFrom - 1);
        assertEq(registry.getModel(id).version, 1, "still version 1 before the delay");
        assertEq(registry.getModel(id).verifier, verifier, "still the old verifier");
        vm.warp(activeFrom);
        assertEq(registry.getModel(id).version, 2, "version 2 after the delay");
        assertEq(registry.getModel(id).verifier, v2.verifier, "the new verifier");
        assertEq(registry.getModel(id).commitment, bytes32(uint256(1)), "the new commitment");
        (pending, from) = registry.pendingUpdate(id);
        assertEq(pending, 0, "nothing pending");
        assertEq(from, 0, "nothing pending");
        (IModelRegistry.VersionSpec memory v1, uint64 v1From) = registry.getVersion(id, 1);
        assertEq(v1.verifier, verifier, "version 1 kept");
        assertEq(v1From, 1, "version 1 was effective at registration");
    }

    /// @dev `requestSpec` is `getModel`'s part a request reads, of the effective version.
    function test_requestSpec_isGetModelsEffectiveVersion() public {
        bytes32 id = register();
        registry.updateModel(id, Specs.proved(address(new MockVerifier()), bytes32(uint256(1)), io));
        for (uint256 i = 0; i < 2; i++) {
            IModelRegistry.Model memory m = registry.getModel(id);
            IModelRegistry.RequestSpec memory r = registry.requestSpec(id);
            assertEq(r.owner, m.owner, "owner");
            assertEq(uint256(r.mode), uint256(m.mode), "mode");
            assertEq(r.version, m.version, "version");
            assertEq(r.verifier, m.verifier, "verifier");
            assertEq(r.weightsCommitment, m.weightsCommitment, "weights commitment");
            assertEq(r.fee, m.fee, "fee");
            assertEq(keccak256(abi.encode(r.io)), keccak256(abi.encode(m.io)), "io");
            assertEq(r.version, i + 1, "the effective version");
            vm.warp(block.timestamp + DELAY);
        }
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, bytes32(uint256(7))));
        registry.requestSpec(bytes32(uint256(7)));
    }

    /// @dev An agreed-mode model's request spec: owner, mode, version and fee, the proof fields zero.
    function test_requestSpec_ofAnAgreedModel_leavesTheProofFieldsZero() public {
        bytes32 id = registry.registerModel("judge", IModelRegistry.Mode.Agreed, Specs.agreed(keccak256("llm")), 3);
        IModelRegistry.RequestSpec memory r = registry.requestSpec(id);
        assertEq(r.owner, address(this), "owner");
        assertTrue(r.mode == IModelRegistry.Mode.Agreed, "mode");
        assertEq(r.version, 1, "version");
        assertEq(r.fee, 3, "fee");
        assertEq(r.verifier, address(0), "no verifier");
        assertEq(r.weightsCommitment, 0, "no weights commitment");
        assertEq(keccak256(abi.encode(r.io)), keccak256(abi.encode(IModelRegistry.IOSpec(0, 0, 0, 0, 0))), "no io");
    }

    function test_update_replacesAPendingUpdateAndRestartsTheDelay() public {
        bytes32 id = register();
        registry.updateModel(id, Specs.proved(verifier, bytes32(uint256(1)), io));
        vm.warp(block.timestamp + DELAY - 1);
        registry.updateModel(id, Specs.proved(verifier, bytes32(uint256(2)), io));
        (uint32 pending, uint64 from) = registry.pendingUpdate(id);
        assertEq(pending, 2, "the same number");
        assertEq(from, block.timestamp + DELAY, "the delay starts again");
        vm.warp(block.timestamp + 1);
        assertEq(registry.getModel(id).version, 1, "the replaced update never took effect");
        vm.warp(from);
        assertEq(registry.getModel(id).commitment, bytes32(uint256(2)), "the replacement did");
        registry.updateModel(id, Specs.proved(verifier, bytes32(uint256(3)), io));
        (pending,) = registry.pendingUpdate(id);
        assertEq(pending, 3, "a new number once the last one is effective");
    }

    function test_update_withNoDelayIsEffectiveAtOnce() public {
        registry = new ModelRegistry(0);
        bytes32 id = register();
        registry.updateModel(id, Specs.proved(verifier, bytes32(uint256(1)), io));
        assertEq(registry.getModel(id).version, 2, "effective");
        (uint32 pending,) = registry.pendingUpdate(id);
        assertEq(pending, 0, "nothing pending");
    }

    function test_getVersion_unknownReverts() public {
        bytes32 id = register();
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownVersion.selector, id, uint32(2)));
        registry.getVersion(id, 2);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownVersion.selector, id, uint32(0)));
        registry.getVersion(id, 0);
    }

    function test_setFee_onlyOwner() public {
        bytes32 id = register();
        vm.prank(address(0xBEEF));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, id, address(0xBEEF)));
        registry.setFee(id, 5);
        registry.setFee(id, 5);
        assertEq(registry.getModel(id).fee, 5, "fee");
    }

    function test_getModel_unknownReverts() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, bytes32(uint256(7))));
        registry.getModel(bytes32(uint256(7)));
    }
}
