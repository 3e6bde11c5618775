//! A warm prover for one proving key: load once, prove many witnesses.
use crate::error::ProverError;
use crate::reduction::SnarkjsReduction;
use crate::zkey::Zkey;
use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ff::{PrimeField, UniformRand};
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, Proof};
use serde_json::{json, Value};

pub struct Prover {
    zkey: Zkey,
    pvk: PreparedVerifyingKey<Bn254>,
}

/// A proof in snarkjs's JSON layout, and the public signals (wires 1..=nPublic).
pub struct SnarkjsProof {
    pub proof: Value,
    pub public_signals: Vec<String>,
}

fn dec<F: PrimeField>(x: F) -> String {
    x.into_bigint().to_string()
}

fn g1_json(p: &G1Affine) -> Value {
    // snarkjs writes projective coordinates of the affine point: [x, y, 1]
    json!([dec(p.x), dec(p.y), "1"])
}

fn g2_json(p: &G2Affine) -> Value {
    json!([[dec(p.x.c0), dec(p.x.c1)], [dec(p.y.c0), dec(p.y.c1)], ["1", "0"]])
}

impl Prover {
    pub fn load(path: &str) -> Result<Prover, ProverError> {
        let err = |reason: String| ProverError::ProvingKey { path: path.to_string(), reason };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let zkey = Zkey::parse(&bytes).map_err(err)?;
        let pvk = prepare_verifying_key(&zkey.pk.vk);
        Ok(Prover { zkey, pvk })
    }

    pub fn n_vars(&self) -> usize {
        self.zkey.n_vars
    }
    pub fn n_public(&self) -> usize {
        self.zkey.n_public
    }
    pub fn domain_size(&self) -> usize {
        self.zkey.domain_size
    }

    /// Proves a full assignment (wire 0 = 1, then the public signals, then the rest) and checks
    /// the proof against the key's own verification key before returning it: Groth16 provers
    /// do not check the witness, and a proof of an unsatisfied witness does not verify.
    pub fn prove(&self, witness: &[Fr]) -> Result<SnarkjsProof, ProverError> {
        if witness.len() != self.zkey.n_vars {
            return Err(ProverError::WitnessSize { expected: self.zkey.n_vars, got: witness.len() });
        }
        let mut rng = rand::rngs::OsRng;
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let proof = self.prove_with(witness, r, s)?;
        let public = &witness[1..=self.zkey.n_public];
        if !self.verify(&proof, public)? {
            return Err(ProverError::UnsatisfiedWitness);
        }
        Ok(SnarkjsProof {
            proof: json!({ "pi_a": g1_json(&proof.a), "pi_b": g2_json(&proof.b), "pi_c": g1_json(&proof.c), "protocol": "groth16", "curve": "bn128" }),
            public_signals: public.iter().map(|x| dec(*x)).collect(),
        })
    }

    /// Whether `proof` verifies for `public` under the key's verification key.
    pub fn verify(&self, proof: &Proof<Bn254>, public: &[Fr]) -> Result<bool, ProverError> {
        Groth16::<Bn254>::verify_proof(&self.pvk, proof, public).map_err(|e| ProverError::Internal { reason: e.to_string() })
    }

    /// The proof for given blinding factors, unchecked.
    pub fn prove_with(&self, witness: &[Fr], r: Fr, s: Fr) -> Result<Proof<Bn254>, ProverError> {
        Groth16::<Bn254, SnarkjsReduction>::create_proof_with_reduction_and_matrices(
            &self.zkey.pk,
            r,
            s,
            &self.zkey.matrices,
            self.zkey.n_public + 1,
            self.zkey.domain_size,
            witness,
        )
        .map_err(|e| ProverError::Internal { reason: e.to_string() })
    }
}
