// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GasLog} from "./utils/GasLog.sol";
import {CoprocessorViews} from "../src/CoprocessorViews.sol";
import {CoprocessorFixture} from "./Coprocessor.t.sol";
import {MockVerifier} from "./utils/Mocks.sol";

/// @dev Gas of `request` and of `fulfillRequests` for 1, 8 and 16 requests from as many senders
/// without code, with a verifier that accepts everything (the proof check itself is measured on
/// anvil with real proofs: `npm run bench:batch`). Run with `--isolate` so that each call is its
/// own transaction (cold accounts and slots as on chain): `forge test --isolate --match-contract
/// RequestBatchGas -vv`. Logs the figures; asserts only that every request was served.
contract RequestBatchGasTest is CoprocessorFixture {
    uint16 internal constant K = 16;

    function setUp() public override {
        super.setUp();
        MockVerifier batchVerifier = new MockVerifier();
        nextBlock();
        vm.prank(modelOwner);
        registry.setRequestBatchVerifier(modelId, 1, address(batchVerifier), K);
        nextBlock();
    }

    function batch(uint256 n) internal returns (uint256[] memory ids, uint256 requestGas) {
        ids = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            address sender = address(uint160(0x5e7d00 + i));
            uint256 fee = coprocessor.quote(modelId, CB_GAS);
            vm.deal(sender, fee);
            vm.prank(sender);
            uint256 g = gasleft();
            ids[i] = coprocessor.request{value: fee}(modelId, input(), CB_GAS);
            requestGas = g - gasleft();
        }
        nextBlock();
        vm.warp(block.timestamp + coprocessor.assignmentWindow());
    }

    /// @dev Execution gas before the refund of the 2 slots each answered request clears
    /// (2 x 4,800 a request, at most a fifth of the transaction's gas: receipts show it).
    function measure(uint256 n) internal returns (uint256 gas) {
        (uint256[] memory ids, uint256 requestGas) = batch(n);
        // 2 values of 18 bits a slot: 13 a word.
        uint256[] memory w = new uint256[]((2 * uint256(K) + 12) / 13);
        vm.prank(node);
        uint256 g = gasleft();
        coprocessor.fulfillRequests(ids, w, proof());
        gas = g - gasleft();
        GasLog.log("requests", n);
        GasLog.log("  request (execution gas)", requestGas);
        GasLog.log("  fulfillRequests (execution gas)", gas);
        GasLog.log("  per answer", gas / n);
        assertEq(uint256(CoprocessorViews(address(coprocessor)).getRequest(ids[n - 1]).status), 2, "served");
    }

    function test_gas_fulfillRequests_1_8_16() public {
        uint256 one = measure(1);
        uint256 eight = measure(8);
        uint256 sixteen = measure(16);
        GasLog.log("marginal per request (8 -> 16)", (sixteen - eight) / 8);
        GasLog.log("fixed (16 - 16 x marginal)", sixteen - 16 * ((sixteen - eight) / 8));
        one;
    }
}
