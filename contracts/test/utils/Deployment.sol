// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {Coprocessor} from "../../src/Coprocessor.sol";
import {Committee} from "../../src/Committee.sol";
import {CommitteeBase} from "../../src/CommitteeBase.sol";
import {Timelocked} from "../../src/Timelocked.sol";

/// @dev The parameters tests deploy with, and admin changes through the timelock.
abstract contract Deployment is TestBase {
    uint64 internal constant ADMIN_DELAY = 1 hours;
    address internal constant TREASURY = address(0x7EA5);

    function coprocessorParameters() internal pure returns (Coprocessor.Parameters memory) {
        return Coprocessor.Parameters({
            nodeFee: 0.001 ether,
            protocolFee: 0,
            treasury: TREASURY,
            callbackGasPrice: 1 gwei,
            requestTimeout: 1 hours,
            maxCallbackGasLimit: 2_000_000,
            assignmentWindow: 30,
            missSlash: 0.01 ether
        });
    }

    function committeeParameters() internal pure returns (CommitteeBase.Parameters memory p) {
        p.committeeSize = 5;
        p.appealSizes = new uint8[](2);
        (p.appealSizes[0], p.appealSizes[1]) = (7, 11);
        p.maxRounds = 6;
        (p.proposeWindow, p.commitWindow, p.revealWindow, p.appealWindow) = (60, 60, 60, 300);
        (p.noShowSlash, p.wrongSlash, p.appealBond) = (0.01 ether, 0.05 ether, 0.1 ether);
    }

    /// @dev Schedules `data` on `target`, waits the admin delay and executes it (the owner is this test).
    function throughTimelock(Timelocked target, bytes memory data) internal {
        target.scheduleChange(data);
        vm.warp(block.timestamp + target.adminDelay());
        target.executeChange(data);
    }
}
