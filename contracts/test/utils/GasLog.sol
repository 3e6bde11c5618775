// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev console.log(string, uint256) by its current selector (forge-std 1.1.2's console uses the
/// old `log(string,uint)` one, which forge 1.x no longer prints), for the gas-logging tests.
library GasLog {
    function log(string memory what, uint256 value) internal view {
        (bool ok,) = address(0x000000000000000000636F6e736F6c652e6c6f67).staticcall(
            abi.encodeWithSignature("log(string,uint256)", what, value)
        );
        ok;
    }
}
