//! Verity's native Groth16 prover over BN254. It reads the files snarkjs writes (.zkey,
//! .wtns) and returns proofs in snarkjs's JSON layout, so the same Verifier.sol and the same
//! public signals hold for both backends. Reached from packages/zkml through the
//! `verity-prover` binary (see `protocol`).
pub mod binfile;
pub mod contribute;
pub mod curve;
pub mod devptau;
pub mod error;
pub mod prover;
pub mod protocol;
pub mod ptau;
pub mod r1cs;
pub mod reduction;
pub mod setup;
pub mod wtns;
pub mod zkey;

pub use error::ProverError;
pub use prover::Prover;
