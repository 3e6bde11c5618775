//! Reads circom's .r1cs (iden3 binary: section 1 the header, 2 the constraints, each
//! `A, B, C` as `count, (wire u32, coefficient n8 bytes LE)*`).
use crate::binfile::{limbs, BinFile, Reader};
use ark_bn254::Fr;
use ark_ff::{BigInt, PrimeField};

/// One term of a linear combination: a wire and its coefficient (as written, little-endian).
#[derive(Clone, Copy)]
pub struct Term {
    pub wire: u32,
    pub coef: BigInt<4>,
}

pub struct R1cs {
    pub n_wires: usize,
    pub n_public: usize,
    pub n_constraints: usize,
    /// per constraint, its A, B and C combinations
    pub constraints: Vec<[Vec<Term>; 3]>,
}

impl R1cs {
    pub fn parse(bytes: &[u8]) -> Result<R1cs, String> {
        let file = BinFile::parse(bytes)?;
        if &file.magic != b"r1cs" {
            return Err("not an .r1cs file".into());
        }
        let mut h = Reader::new(file.section(1)?);
        let n8 = h.u32()? as usize;
        if n8 != 32 || limbs(h.take(n8)?) != Fr::MODULUS.0 {
            return Err("not a circuit over BN254's scalar field".into());
        }
        let n_wires = h.u32()? as usize;
        let n_outputs = h.u32()? as usize;
        let n_pub_inputs = h.u32()? as usize;
        let _n_prv_inputs = h.u32()?;
        let _n_labels = h.u64()?;
        let n_constraints = h.u32()? as usize;
        let mut r = Reader::new(file.section(2)?);
        let mut constraints = Vec::with_capacity(n_constraints);
        for _ in 0..n_constraints {
            let mut lc = || -> Result<Vec<Term>, String> {
                let n = r.u32()? as usize;
                (0..n)
                    .map(|_| {
                        let wire = r.u32()?;
                        if wire as usize >= n_wires {
                            return Err(format!("wire {wire} of {n_wires}"));
                        }
                        Ok(Term { wire, coef: BigInt(limbs(r.take(32)?)) })
                    })
                    .collect()
            };
            constraints.push([lc()?, lc()?, lc()?]);
        }
        Ok(R1cs { n_wires, n_public: n_outputs + n_pub_inputs, n_constraints, constraints })
    }
}
