//! The prover against vectors snarkjs wrote (tests/vectors, remade by make.mjs): the key it
//! parses verifies snarkjs's proof, and its own proof of the same witness verifies with the
//! same public signals; tampered or malformed input gives the matching error kind.
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_groth16::Proof;
use serde_json::Value;
use std::str::FromStr;
use verity_prover::protocol::Session;
use verity_prover::{wtns, Prover, ProverError};

fn vector(name: &str) -> String {
    format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}
fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(vector(name)).unwrap()).unwrap()
}
fn fq(v: &Value) -> Fq {
    Fq::from_str(v.as_str().unwrap()).unwrap()
}
fn snarkjs_proof(p: &Value) -> Proof<Bn254> {
    let g2 = |i: usize| Fq2::new(fq(&p["pi_b"][i][0]), fq(&p["pi_b"][i][1]));
    Proof {
        a: G1Affine::new(fq(&p["pi_a"][0]), fq(&p["pi_a"][1])),
        b: G2Affine::new(g2(0), g2(1)),
        c: G1Affine::new(fq(&p["pi_c"][0]), fq(&p["pi_c"][1])),
    }
}
fn public() -> Vec<Fr> {
    json("public.json").as_array().unwrap().iter().map(|v| Fr::from_str(v.as_str().unwrap()).unwrap()).collect()
}
fn witness() -> Vec<Fr> {
    wtns::parse(&std::fs::read(vector("witness.wtns")).unwrap()).unwrap()
}

#[test]
fn the_parsed_key_verifies_snarkjs_proof_and_refuses_other_signals() {
    let prover = Prover::load(&vector("circuit.zkey")).unwrap();
    let proof = snarkjs_proof(&json("proof.json"));
    assert!(prover.verify(&proof, &public()).unwrap());
    let mut other = public();
    other[0] += Fr::from(1u64);
    assert!(!prover.verify(&proof, &other).unwrap());
}

#[test]
fn a_native_proof_of_the_same_witness_has_snarkjs_public_signals_and_json_layout() {
    let prover = Prover::load(&vector("circuit.zkey")).unwrap();
    let out = prover.prove(&witness()).unwrap();
    assert_eq!(Value::from(out.public_signals.clone()), json("public.json"));
    let ours = &out.proof;
    let theirs = json("proof.json");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(ours), keys(&theirs));
    assert_eq!(ours["protocol"], theirs["protocol"]);
    assert_eq!(ours["curve"], theirs["curve"]);
    assert_eq!(ours["pi_b"][2], theirs["pi_b"][2]);
    assert!(prover.verify(&snarkjs_proof(ours), &public()).unwrap());
}

#[test]
fn a_tampered_witness_is_refused() {
    let prover = Prover::load(&vector("circuit.zkey")).unwrap();
    // every private wire: the products and b take part in constraints
    for wire in prover.n_public() + 1..prover.n_vars() {
        let mut w = witness();
        w[wire] += Fr::from(1u64);
        assert_eq!(prover.prove(&w).err(), Some(ProverError::UnsatisfiedWitness), "wire {wire}");
    }
}

#[test]
fn malformed_input_gives_the_matching_error_kind() {
    let bytes = std::fs::read(vector("witness.wtns")).unwrap();
    assert!(matches!(wtns::parse(&bytes[..40]), Err(_)));
    let prover = Prover::load(&vector("circuit.zkey")).unwrap();
    let short = &witness()[..3];
    assert_eq!(prover.prove(short).err(), Some(ProverError::WitnessSize { expected: prover.n_vars(), got: 3 }));
    assert!(matches!(Prover::load("/nonexistent.zkey").err(), Some(ProverError::ProvingKey { .. })));
    assert!(matches!(Prover::load(&vector("witness.wtns")).err(), Some(ProverError::ProvingKey { .. })));
}

#[test]
fn the_protocol_answers_each_request_and_keeps_serving_after_errors() {
    let mut s = Session::default();
    let kind = |v: &Value| v["error"]["kind"].as_str().unwrap().to_string();
    assert_eq!(kind(&s.handle(br#"{"op":"prove"}"#, b"")), "Protocol");
    assert_eq!(kind(&s.handle(b"not json", b"")), "Protocol");
    let load = format!(r#"{{"op":"load","zkey":"{}"}}"#, vector("circuit.zkey"));
    let loaded = s.handle(load.as_bytes(), b"");
    assert_eq!(loaded["ok"], true);
    assert_eq!(loaded["nPublic"], 5);
    let bytes = std::fs::read(vector("witness.wtns")).unwrap();
    assert_eq!(kind(&s.handle(br#"{"op":"prove"}"#, &bytes[..50])), "WitnessFormat");
    let proved = s.handle(br#"{"op":"prove"}"#, &bytes);
    assert_eq!(proved["publicSignals"], json("public.json"));
    assert!(s.handle(br#"{"op":"stats"}"#, b"")["peakRssBytes"].as_u64().unwrap() > 0);
    assert_eq!(kind(&s.handle(br#"{"op":"setup"}"#, b"")), "Protocol");
}

#[test]
fn kinds_lists_every_variant_once_in_order() {
    let r = || String::new();
    let all = [
        ProverError::ProvingKey { path: r(), reason: r() },
        ProverError::WitnessFormat { reason: r() },
        ProverError::WitnessSize { expected: 0, got: 0 },
        ProverError::UnsatisfiedWitness,
        ProverError::Protocol { reason: r() },
        ProverError::Internal { reason: r() },
        ProverError::Setup { file: r(), reason: r() },
    ];
    assert_eq!(all.iter().map(|e| e.kind()).collect::<Vec<_>>(), ProverError::KINDS);
    for e in &all {
        assert_eq!(e.to_json()["kind"], e.kind());
    }
}
