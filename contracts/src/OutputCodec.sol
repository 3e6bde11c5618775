// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @notice What the Coprocessor and its views both compute: packed outputs and the draw's seed.
library OutputCodec {
    /// @dev `io.outputCount` values from packed words, starting at value `from` (a request
    /// batch's slot i starts at i * outputCount).
    function unpack(IModelRegistry.IOSpec memory io, uint256[] calldata words, uint256 from)
        internal
        pure
        returns (int256[] memory values)
    {
        uint256 perWord = 248 / io.outputBits;
        uint256 mask = (uint256(1) << io.outputBits) - 1;
        int256 half = int256(uint256(1) << (io.outputBits - 1));
        values = new int256[](io.outputCount);
        for (uint256 i = 0; i < io.outputCount; i++) {
            uint256 at = from + i;
            uint256 v = (words[at / perWord] >> (io.outputBits * (at % perWord))) & mask;
            values[i] = int256(v) - half;
        }
    }

    /// @dev The seed that draws a request's primary from its draw block's hash `h`.
    function drawSeed(bytes32 h, uint256 requestId) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(h, requestId)));
    }
}
