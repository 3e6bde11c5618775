// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {MockVerifier} from "./utils/Mocks.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";

contract ModelRegistryTest is TestBase {
    ModelRegistry internal registry;
    address internal verifier;
    IModelRegistry.IOSpec internal spec = IModelRegistry.IOSpec(64, 1, 2, 20, 8);

    function setUp() public {
        registry = new ModelRegistry();
        verifier = address(new MockVerifier());
    }

    uint256 internal constant FIELD = 21888242871839275222246405745257298275088548364400416034343698204186575808495;

    function testFuzz_register_storesEverything(bytes32 commitment, uint256 weights, uint256 fee, address owner) public {
        vm.assume(owner != address(0));
        weights = bound(weights, 0, FIELD - 1);
        vm.prank(owner);
        bytes32 id = registry.registerModel("m", IModelRegistry.Mode.Proved, verifier, commitment, weights, spec, fee);
        IModelRegistry.Model memory m = registry.getModel(id);
        assertEq(id, keccak256(abi.encode(owner, "m")), "id");
        assertEq(m.owner, owner, "owner");
        assertEq(m.commitment, commitment, "commitment");
        assertEq(m.weightsCommitment, weights, "weights commitment");
        assertEq(m.fee, fee, "fee");
        assertEq(m.version, 1, "version");
        assertEq(m.verifier, verifier, "verifier");
    }

    function test_register_twiceReverts() public {
        bytes32 id = registry.registerModel("m", IModelRegistry.Mode.Proved, verifier, 0, 0, spec, 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelAlreadyRegistered.selector, id));
        registry.registerModel("m", IModelRegistry.Mode.Proved, verifier, 0, 0, spec, 0);
    }

    function test_register_provedNeedsVerifierCode() public {
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.MissingVerifier.selector, id));
        registry.registerModel("m", IModelRegistry.Mode.Proved, address(0xdead), 0, 0, spec, 0);
    }

    function test_register_rejectsEmptySpec() public {
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidIOSpec.selector, id));
        registry.registerModel("m", IModelRegistry.Mode.Proved, verifier, 0, 0, IModelRegistry.IOSpec(0, 1, 2, 20, 8), 0);
    }

    function testFuzz_register_rejectsWeightsCommitmentOutsideTheField(uint256 weights) public {
        weights = bound(weights, FIELD, type(uint256).max);
        bytes32 id = registry.modelIdOf(address(this), "m");
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidWeightsCommitment.selector, id, weights));
        registry.registerModel("m", IModelRegistry.Mode.Proved, verifier, 0, weights, spec, 0);
    }

    function test_update_bumpsVersionOnlyForOwner() public {
        bytes32 id = registry.registerModel("m", IModelRegistry.Mode.Proved, verifier, 0, 0, spec, 0);
        address other = address(0xBEEF);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, id, other));
        registry.updateModel(id, verifier, bytes32(uint256(1)), 0, spec);
        registry.updateModel(id, verifier, bytes32(uint256(1)), 0, spec);
        assertEq(registry.getModel(id).version, 2, "version");
        assertEq(registry.getModel(id).commitment, bytes32(uint256(1)), "commitment");
    }

    function test_getModel_unknownReverts() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, bytes32(uint256(7))));
        registry.getModel(bytes32(uint256(7)));
    }
}
