// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What `Coprocessor.fulfillBatch` calls on a model version's verifier: the generated
/// `Groth16BatchVerifier` (packages/zkml/src/batchVerifier.ts), which also keeps snarkjs's
/// single `verifyProof` for `fulfill`.
interface IGroth16BatchVerifier {
    /// @notice Whether every proof verifies for its public signals under the verifier's key.
    /// @param proofs each `[a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]`
    function verifyBatch(uint256[8][] calldata proofs, uint256[][] calldata publicSignals) external view returns (bool);
}
