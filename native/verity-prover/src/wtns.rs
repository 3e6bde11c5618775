//! Reads a .wtns file (circom's witness: section 1 `n8, prime, count`, section 2 the values,
//! little-endian, canonical) into field elements.
use crate::binfile::{limbs, BinFile, Reader};
use ark_bn254::Fr;
use ark_ff::{BigInt, PrimeField};
use rayon::prelude::*;

pub fn parse(bytes: &[u8]) -> Result<Vec<Fr>, String> {
    let file = BinFile::parse(bytes)?;
    if &file.magic != b"wtns" {
        return Err("not a .wtns file".into());
    }
    let mut h = Reader::new(file.section(1)?);
    let n8 = h.u32()? as usize;
    let prime = h.take(n8)?;
    if n8 != 32 || limbs(prime) != Fr::MODULUS.0 {
        return Err("not a witness over BN254's scalar field".into());
    }
    let count = h.u32()? as usize;
    let values = file.section(2)?;
    if values.len() != count * 32 {
        return Err(format!("{} bytes of values for {count} wires", values.len()));
    }
    values
        .par_chunks_exact(32)
        .enumerate()
        .map(|(i, b)| Fr::from_bigint(BigInt(limbs(b))).ok_or_else(|| format!("wire {i} is not below the field modulus")))
        .collect()
}
