//! Every way the native prover can fail. Each variant maps onto one TypeScript error class
//! in packages/zkml/src/errors/native.ts (by `kind`); the binary lists them with `--kinds`
//! so a test can check that the two sides never drift apart.
use serde_json::{json, Value};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum ProverError {
    /// The .zkey could not be read, or is not a Groth16 BN254 key written by snarkjs.
    ProvingKey { path: String, reason: String },
    /// The witness bytes are not a .wtns file over BN254's scalar field.
    WitnessFormat { reason: String },
    /// The witness has another number of wires than the key.
    WitnessSize { expected: usize, got: usize },
    /// The proof computed from this witness does not verify: the witness does not satisfy
    /// the circuit's constraints (a changed wire, or a witness for another circuit).
    UnsatisfiedWitness,
    /// A request the prover does not understand (a bug on the TypeScript side).
    Protocol { reason: String },
    /// A failure inside the prover itself (a panic, caught; the process keeps serving).
    Internal { reason: String },
    /// `setup` or `contribute` could not use one of its files (r1cs, ptau, zkey in or out).
    Setup { file: String, reason: String },
}

impl ProverError {
    /// The kinds, in declaration order (for `--kinds` and the mapping test).
    pub const KINDS: [&'static str; 7] = ["ProvingKey", "WitnessFormat", "WitnessSize", "UnsatisfiedWitness", "Protocol", "Internal", "Setup"];

    pub fn kind(&self) -> &'static str {
        match self {
            ProverError::ProvingKey { .. } => "ProvingKey",
            ProverError::WitnessFormat { .. } => "WitnessFormat",
            ProverError::WitnessSize { .. } => "WitnessSize",
            ProverError::UnsatisfiedWitness => "UnsatisfiedWitness",
            ProverError::Protocol { .. } => "Protocol",
            ProverError::Internal { .. } => "Internal",
            ProverError::Setup { .. } => "Setup",
        }
    }

    /// `{ kind, message, ...fields }`: what the TypeScript side turns into its error class.
    pub fn to_json(&self) -> Value {
        let mut v = match self {
            ProverError::ProvingKey { path, reason } => json!({ "path": path, "reason": reason }),
            ProverError::WitnessFormat { reason } | ProverError::Protocol { reason } | ProverError::Internal { reason } => json!({ "reason": reason }),
            ProverError::WitnessSize { expected, got } => json!({ "expected": expected, "got": got }),
            ProverError::UnsatisfiedWitness => json!({}),
            ProverError::Setup { file, reason } => json!({ "file": file, "reason": reason }),
        };
        v["kind"] = json!(self.kind());
        v["message"] = json!(self.to_string());
        v
    }
}

impl fmt::Display for ProverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProverError::ProvingKey { path, reason } => write!(f, "cannot read the proving key {path}: {reason}"),
            ProverError::WitnessFormat { reason } => write!(f, "unreadable witness: {reason}"),
            ProverError::WitnessSize { expected, got } => write!(f, "the witness has {got} wires, the key expects {expected}"),
            ProverError::UnsatisfiedWitness => write!(f, "the witness does not satisfy the circuit: its proof does not verify"),
            ProverError::Protocol { reason } => write!(f, "bad request: {reason}"),
            ProverError::Internal { reason } => write!(f, "internal prover failure: {reason}"),
            ProverError::Setup { file, reason } => write!(f, "setup cannot use {file}: {reason}"),
        }
    }
}

impl std::error::Error for ProverError {}
