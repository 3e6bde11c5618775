// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @dev Cheatcodes forge has that forge-std 1.1.2's Vm.sol does not declare.
interface VmExtra {
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
    function prevrandao(bytes32 value) external;
    function pauseGasMetering() external;
    function resumeGasMetering() external;
    function cool(address target) external;
    function snapshotState() external returns (uint256);
    function revertToState(uint256 id) external returns (bool);
}

/// @dev forge-std on npm (1.1.2) ships Vm.sol but not a usable Test.sol (it needs ds-test, which npm
/// lacks), so tests extend this: the cheatcode handle and assertions that revert with the values.
abstract contract TestBase {
    using Strings for uint256;
    using Strings for int256;
    using Strings for address;
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    VmExtra internal constant vmx = VmExtra(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", a.toString(), " != ", b.toString()));
    }

    function assertEq(int256 a, int256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", a.toStringSigned(), " != ", b.toStringSigned()));
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", a.toHexString(), " != ", b.toHexString()));
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", uint256(a).toHexString(32), " != ", uint256(b).toHexString(32)));
    }

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert(what);
    }

    function assertLe(uint256 a, uint256 b, string memory what) internal pure {
        if (a > b) revert(string.concat(what, ": ", a.toString(), " > ", b.toString()));
    }

    function assertGe(uint256 a, uint256 b, string memory what) internal pure {
        if (a < b) revert(string.concat(what, ": ", a.toString(), " < ", b.toString()));
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
