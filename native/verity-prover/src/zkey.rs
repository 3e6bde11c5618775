//! Reads a snarkjs Groth16 .zkey (BN254) into an arkworks proving key and the A and B
//! constraint matrices the prover evaluates. Layout (snarkjs `zkey_utils.js`): section 2 the
//! header and verification key, 3 IC, 4 the A/B coefficients, 5 A, 6 B in G1, 7 B in G2,
//! 8 C (private wires), 9 H. Points are affine in Montgomery form, (0, 0) for infinity;
//! coefficients carry an extra Montgomery factor (value * R^2).
//! After ark-circom's `zkey.rs` (MIT/Apache-2.0), without its WebAssembly runtime.
use crate::binfile::{limbs, BinFile, Reader};
use ark_bn254::{Bn254, Fq, Fr};
use ark_ff::{BigInt, PrimeField};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_relations::utils::matrix::Matrix;
use rayon::prelude::*;

pub struct Zkey {
    pub pk: ProvingKey<Bn254>,
    /// A and B, one row per domain point (the circuit's constraints, then one row per public input)
    pub matrices: [Matrix<Fr>; 2],
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
}

use crate::curve::{g1_from_lem as g1, g2_from_lem as g2, N8};

fn points<T: Send>(section: &[u8], n: usize, size: usize, what: &str, f: fn(&[u8]) -> T) -> Result<Vec<T>, String> {
    if section.len() < n * size {
        return Err(format!("{what}: {} bytes for {n} points", section.len()));
    }
    Ok(section[..n * size].par_chunks_exact(size).map(f).collect())
}

impl Zkey {
    pub fn parse(bytes: &[u8]) -> Result<Zkey, String> {
        let file = BinFile::parse(bytes)?;
        if &file.magic != b"zkey" {
            return Err("not a .zkey file".into());
        }
        let mut h = Reader::new(file.section(1)?);
        if h.u32()? != 1 {
            return Err("not a Groth16 key".into());
        }
        let mut h = Reader::new(file.section(2)?);
        let n8q = h.u32()? as usize;
        let q = h.take(n8q)?;
        let n8r = h.u32()? as usize;
        let r = h.take(n8r)?;
        if n8q != N8 || n8r != N8 || limbs(q) != Fq::MODULUS.0 || limbs(r) != Fr::MODULUS.0 {
            return Err("not a BN254 key".into());
        }
        let n_vars = h.u32()? as usize;
        let n_public = h.u32()? as usize;
        let domain_size = h.u32()? as usize;
        let alpha_g1 = g1(h.take(2 * N8)?);
        let beta_g1 = g1(h.take(2 * N8)?);
        let beta_g2 = g2(h.take(4 * N8)?);
        let gamma_g2 = g2(h.take(4 * N8)?);
        let delta_g1 = g1(h.take(2 * N8)?);
        let delta_g2 = g2(h.take(4 * N8)?);
        if n_public + 1 > n_vars || !domain_size.is_power_of_two() {
            return Err(format!("inconsistent header: {n_vars} wires, {n_public} public, domain {domain_size}"));
        }

        let matrices = coefficients(file.section(4)?, domain_size, n_vars)?;
        let vk = VerifyingKey::<Bn254> { alpha_g1, beta_g2, gamma_g2, delta_g2, gamma_abc_g1: points(file.section(3)?, n_public + 1, 2 * N8, "IC", g1)? };
        let pk = ProvingKey::<Bn254> {
            vk,
            beta_g1,
            delta_g1,
            a_query: points(file.section(5)?, n_vars, 2 * N8, "A", g1)?,
            b_g1_query: points(file.section(6)?, n_vars, 2 * N8, "B1", g1)?,
            b_g2_query: points(file.section(7)?, n_vars, 4 * N8, "B2", g2)?,
            l_query: points(file.section(8)?, n_vars - n_public - 1, 2 * N8, "C", g1)?,
            h_query: points(file.section(9)?, domain_size, 2 * N8, "H", g1)?,
        };
        Ok(Zkey { pk, matrices, n_vars, n_public, domain_size })
    }
}

fn coefficients(section: &[u8], domain_size: usize, n_vars: usize) -> Result<[Matrix<Fr>; 2], String> {
    let mut r = Reader::new(section);
    let n = r.u32()? as usize;
    let mut m: [Matrix<Fr>; 2] = [vec![Vec::new(); domain_size], vec![Vec::new(); domain_size]];
    for _ in 0..n {
        let (matrix, row, signal) = (r.u32()? as usize, r.u32()? as usize, r.u32()? as usize);
        // value * R^2 in Montgomery form: reading it as Montgomery twice gives the value
        let once = Fr::new_unchecked(BigInt(limbs(r.take(N8)?))).into_bigint();
        let value = Fr::new_unchecked(once);
        if matrix > 1 || row >= domain_size || signal >= n_vars {
            return Err(format!("coefficient out of range: matrix {matrix}, row {row}, signal {signal}"));
        }
        m[matrix][row].push((value, signal));
    }
    Ok(m)
}
