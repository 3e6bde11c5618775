// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice circomlib's Poseidon hash over 8 field elements (t = 9) and the input commitment
/// chain built on it.
interface IPoseidon8 {
    /// @notice Poseidon(inputs) as circomlib's `Poseidon(8)` and circomlibjs's `poseidon`.
    function poseidon(uint256[8] calldata inputs) external view returns (uint256);

    /// @notice The InputCommit chain over `input` packed big-endian into 31-byte field elements
    /// (`31 / width` values each): h = Poseidon(h, 7 elements), missing elements 0, from `seed`.
    function commit(bytes calldata input, uint256 width, uint256 seed) external view returns (uint256);
}
