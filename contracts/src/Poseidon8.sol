// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPoseidon8} from "./interfaces/IPoseidon8.sol";
import {Poseidon8Constants, Poseidon8Low, Poseidon8High} from "./generated/Poseidon8Constants.sol";

/// @title Poseidon8
/// @notice circomlib's Poseidon over 8 field elements (t = 9, 8 full and 63 partial rounds,
/// x^5), in the optimised form of circomlibjs's `poseidon_opt` (sparse partial rounds, the
/// neptune construction), with circomlibjs's constants for t = 9. It computes the same function
/// as circomlib's `Poseidon(8)` circuit and circomlibjs's `poseidon`; the forge tests check it
/// against circomlibjs's values.
/// @dev circomlibjs's own EVM generator stops at 6 inputs: its code for 8 would pass the 24,576
/// byte limit. Here the 1,368 constants (C 135, M 81, P 81, S 1,071 words) live in two data
/// contracts deployed before it (each a STOP byte and then the words, as SSTORE2 does; their
/// code hashes are checked), and every call copies them to fixed memory once: a chain of
/// permutations pays for the copy once. `Poseidon8Deployer.deploy()` makes all three.
contract Poseidon8 is IPoseidon8 {
    /// @dev The constants' first 684 words and the other 684 (Poseidon8Low, Poseidon8High).
    address private immutable lowWords;
    address private immutable highWords;

    uint256 private constant HALF = 684 * 32;

    error InvalidWidth(uint256 width);
    error InvalidConstants(address words);

    /// @param lowWords_ a Poseidon8Low, @param highWords_ a Poseidon8High: checked by their code hashes.
    constructor(address lowWords_, address highWords_) {
        if (lowWords_.codehash != Poseidon8Constants.LOW_HASH) revert InvalidConstants(lowWords_);
        if (highWords_.codehash != Poseidon8Constants.HIGH_HASH) revert InvalidConstants(highWords_);
        lowWords = lowWords_;
        highWords = highWords_;
    }

    /// @inheritdoc IPoseidon8
    function poseidon(uint256[8] calldata inputs) external view returns (uint256) {
        uint256 st = _loadConstants();
        assembly {
            mstore(st, 0)
            calldatacopy(add(st, 0x20), inputs, 0x100)
        }
        return Poseidon8Constants.permute();
    }

    /// @inheritdoc IPoseidon8
    function commit(bytes calldata input, uint256 width, uint256 seed) external view returns (uint256 h) {
        if (width == 0 || width > 31) revert InvalidWidth(width);
        h = seed;
        uint256 chunkBytes = (31 / width) * width;
        uint256 n = (input.length + chunkBytes - 1) / chunkBytes;
        if (n == 0) return h;
        uint256 st = _loadConstants();
        for (uint256 c = 0; c < n; c += 7) {
            assembly {
                mstore(st, 0)
                mstore(add(st, 0x20), h)
            }
            for (uint256 j = 0; j < 7; j++) {
                uint256 w = _chunk(input, chunkBytes, c + j);
                assembly {
                    mstore(add(st, add(0x40, mul(j, 0x20))), w)
                }
            }
            h = Poseidon8Constants.permute();
        }
    }

    /// @dev Copies the constants to fixed memory from 0x80 (the permutation's loads are then
    /// constant addresses) and returns where the state goes. Nothing in memory is live in the
    /// callers: their inputs are calldata and their result a word.
    function _loadConstants() private view returns (uint256 st) {
        address lo = lowWords;
        address hi = highWords;
        uint256 base = Poseidon8Constants.CONSTANTS_AT;
        uint256 end = Poseidon8Constants.MEMORY_END;
        assembly {
            extcodecopy(lo, base, 1, HALF)
            extcodecopy(hi, add(base, HALF), 1, HALF)
            mstore(0x40, end)
        }
        return Poseidon8Constants.STATE_AT;
    }

    /// @dev Chunk `idx` of `input`: its `size` bytes from idx * size (fewer at the end) as a
    /// big-endian number; 0 past the input.
    function _chunk(bytes calldata input, uint256 size, uint256 idx) private pure returns (uint256 word) {
        uint256 start = idx * size;
        if (start >= input.length) return 0;
        uint256 len = input.length - start < size ? input.length - start : size;
        assembly {
            word := shr(mul(8, sub(32, len)), calldataload(add(input.offset, start)))
        }
    }
}

/// @notice Deploys Poseidon8 with its two constants contracts (tests and scripts).
library Poseidon8Deployer {
    function deploy() internal returns (Poseidon8) {
        return new Poseidon8(address(new Poseidon8Low()), address(new Poseidon8High()));
    }
}
