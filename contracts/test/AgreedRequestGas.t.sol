// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GasLog} from "./utils/GasLog.sol";
import {CommitteeFixture} from "./Committee.t.sol";

/// @dev Gas of an agreed-mode `request` (the Coprocessor's storage and the committee's `open`):
/// the first request of a model (its terms stored) and the next one (terms found). Run with
/// `--isolate` (each call its own transaction, intrinsic gas and calldata included):
/// `forge test --isolate --match-contract AgreedRequestGas -vv`. Logs the figures.
contract AgreedRequestGasTest is CommitteeFixture {
    function test_gas_agreedRequest() public {
        uint256 g = gasleft();
        askUndrawn();
        uint256 first = g - gasleft();
        vm.roll(block.number + 1);
        g = gasleft();
        askUndrawn();
        uint256 next = g - gasleft();
        GasLog.log("agreed request, first of its terms", first);
        GasLog.log("agreed request, terms already stored", next);
        assertTrue(next < first, "the second request finds its terms");
    }
}
