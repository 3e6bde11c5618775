//! Setup against vectors snarkjs wrote (tests/vectors, remade by make.mjs): the native
//! `setup` writes snarkjs's `zkey new` output byte for byte; a native contribution keeps the
//! key proving and its record passes snarkjs's two same-ratio checks; `hash_to_g2` gives
//! snarkjs's point.
use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::AffineRepr;
use serde_json::Value;
use std::str::FromStr;
use verity_prover::binfile::{BinFile, Reader};
use verity_prover::contribute::{contribute_with, hash_to_g2, ChaCha};
use verity_prover::curve::{g1_from_lem, g2_from_lem, unhex, G1_SIZE, G2_SIZE};
use verity_prover::ptau::Ptau;
use verity_prover::r1cs::R1cs;
use verity_prover::setup::{h_tail_index, new_zkey};
use verity_prover::{wtns, Prover};

fn vector(name: &str) -> String {
    format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn out(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("verity-setup-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_str().unwrap().to_string()
}

fn native_key(path: &str) {
    let r1cs = R1cs::parse(&std::fs::read(vector("circuit.r1cs")).unwrap()).unwrap();
    let mut ptau = Ptau::open(&vector("ptau.ptau")).unwrap();
    new_zkey(r1cs, &mut ptau, path, None, &mut |_| {}).unwrap();
}

#[test]
fn setup_writes_snarkjs_zkey_new_byte_for_byte() {
    let path = out("new.zkey");
    native_key(&path);
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(vector("circuit.zkey")).unwrap());
}

#[test]
fn setup_refuses_a_ptau_too_small_and_an_unprepared_one() {
    let r1cs = R1cs::parse(&std::fs::read(vector("circuit.r1cs")).unwrap()).unwrap();
    let mut ptau = Ptau::open(&vector("ptau.ptau")).unwrap();
    ptau.power = 3;
    let e = new_zkey(r1cs, &mut ptau, &out("small.zkey"), None, &mut |_| {}).err().unwrap();
    assert!(e.contains("2^4"), "{e}");
    assert!(Ptau::open(&vector("circuit.zkey")).err().unwrap().contains("not a .ptau"));
}

#[test]
fn the_hash_reads_past_section_2_only_above_2_14_with_an_exact_ptau() {
    assert_eq!(h_tail_index(14, 1 << 14), None);
    assert_eq!(h_tail_index(15, 1 << 15), Some((1 << 16) - 1));
    assert_eq!(h_tail_index(16, 1 << 15), None);
}

#[test]
fn hash_to_g2_gives_snarkjs_point() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(vector("hash_to_g2.json")).unwrap()).unwrap();
    let fq = |v: &Value| Fq::from_str(v.as_str().unwrap()).unwrap();
    let p = &v["point"];
    let want = G2Affine::new(Fq2::new(fq(&p[0][0]), fq(&p[0][1])), Fq2::new(fq(&p[1][0]), fq(&p[1][1])));
    assert_eq!(hash_to_g2(&unhex(v["hash"].as_str().unwrap()).unwrap()), want);
}

#[test]
fn a_contribution_keeps_the_key_proving_and_its_record_checks_out() {
    let (initial, next) = (out("c0.zkey"), out("c1.zkey"));
    native_key(&initial);
    let c = contribute_with(&std::fs::read(&initial).unwrap(), &next, "alice", &mut ChaCha::new([1, 2, 3, 4, 5, 6, 7, 8]), &mut |_| {}).unwrap();
    let bytes = std::fs::read(&next).unwrap();
    let file = BinFile::parse(&bytes).unwrap();
    // the record: deltaAfter, g1_s, g1_sx, g2_spx, transcript, type, params ("alice")
    let mut r = Reader::new(file.section(10).unwrap());
    assert_eq!(r.take(64).unwrap(), c.cs_hash.as_slice());
    assert_eq!(r.u32().unwrap(), 1);
    let delta_after = g1_from_lem(r.take(G1_SIZE).unwrap());
    let (g1_s, g1_sx) = (g1_from_lem(r.take(G1_SIZE).unwrap()), g1_from_lem(r.take(G1_SIZE).unwrap()));
    let g2_spx = g2_from_lem(r.take(G2_SIZE).unwrap());
    let g2_sp = hash_to_g2(r.take(64).unwrap());
    assert_eq!((r.u32().unwrap(), r.u32().unwrap(), r.take(7).unwrap()), (0, 7, &[1u8, 5, b'a', b'l', b'i', b'c', b'e'][..]));
    // snarkjs zkey verify: sameRatio(g1_s, g1_sx, g2_sp, g2_spx) and sameRatio(G1, deltaAfter, g2_sp, g2_spx)
    let same = |a: G1Affine, b: G1Affine| Bn254::pairing(a, g2_spx) == Bn254::pairing(b, g2_sp);
    assert!(same(g1_s, g1_sx));
    assert!(same(G1Affine::generator(), delta_after));
    // and the key still proves the witness, with the same public signals
    let witness = wtns::parse(&std::fs::read(vector("witness.wtns")).unwrap()).unwrap();
    let proof = Prover::load(&next).unwrap().prove(&witness).unwrap();
    assert_eq!(proof.public_signals, vec!["4900", "1", "2", "3", "4"]);
}
