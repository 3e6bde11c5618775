//! BN254 points in the two byte layouts snarkjs uses: LEM (affine, little-endian, Montgomery
//! form, (0, 0) for infinity; what .zkey and .ptau files hold) and U ("uncompressed": affine,
//! big-endian, canonical, c1 before c0 in G2, all zeros for infinity; what its hashes read).
use crate::binfile::limbs;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField, Zero};

pub const N8: usize = 32;
pub const G1_SIZE: usize = 2 * N8;
pub const G2_SIZE: usize = 4 * N8;

fn fq(b: &[u8]) -> Fq {
    Fq::new_unchecked(BigInt(limbs(b)))
}

pub fn g1_from_lem(b: &[u8]) -> G1Affine {
    let (x, y) = (fq(&b[..N8]), fq(&b[N8..2 * N8]));
    if x.is_zero() && y.is_zero() { G1Affine::identity() } else { G1Affine::new_unchecked(x, y) }
}

pub fn g2_from_lem(b: &[u8]) -> G2Affine {
    let x = Fq2::new(fq(&b[..N8]), fq(&b[N8..2 * N8]));
    let y = Fq2::new(fq(&b[2 * N8..3 * N8]), fq(&b[3 * N8..4 * N8]));
    if x.is_zero() && y.is_zero() { G2Affine::identity() } else { G2Affine::new_unchecked(x, y) }
}

/// A base field element's coordinates in snarkjs's layouts.
pub trait Coords {
    fn lem(&self, out: &mut Vec<u8>);
    /// big-endian, canonical; in Fq2 c1 first (the reversed bytes of c0 LE, c1 LE)
    fn be(&self, out: &mut Vec<u8>);
    const SIZE: usize;
}

impl Coords for Fq {
    fn lem(&self, out: &mut Vec<u8>) {
        for l in self.0 .0 {
            out.extend_from_slice(&l.to_le_bytes());
        }
    }
    fn be(&self, out: &mut Vec<u8>) {
        for l in self.into_bigint().0.iter().rev() {
            out.extend_from_slice(&l.to_be_bytes());
        }
    }
    const SIZE: usize = N8;
}

impl Coords for Fq2 {
    fn lem(&self, out: &mut Vec<u8>) {
        self.c0.lem(out);
        self.c1.lem(out);
    }
    fn be(&self, out: &mut Vec<u8>) {
        self.c1.be(out);
        self.c0.be(out);
    }
    const SIZE: usize = 2 * N8;
}

/// A point's bytes in one of snarkjs's layouts.
pub trait Rpr {
    fn lem(&self, out: &mut Vec<u8>);
    fn u(&self, out: &mut Vec<u8>);
    fn size() -> usize;
}

impl<P: SWCurveConfig> Rpr for Affine<P>
where
    P::BaseField: Coords,
{
    fn lem(&self, out: &mut Vec<u8>) {
        match self.xy() {
            None => out.resize(out.len() + Self::size(), 0),
            Some((x, y)) => {
                x.lem(out);
                y.lem(out);
            }
        }
    }
    fn u(&self, out: &mut Vec<u8>) {
        match self.xy() {
            None => out.resize(out.len() + Self::size(), 0),
            Some((x, y)) => {
                x.be(out);
                y.be(out);
            }
        }
    }
    fn size() -> usize {
        2 * P::BaseField::SIZE
    }
}

/// The points' bytes in LEM, then in U.
pub fn layouts<P: Rpr>(points: &[P]) -> (Vec<u8>, Vec<u8>) {
    let (mut lem, mut u) = (Vec::with_capacity(points.len() * P::size()), Vec::with_capacity(points.len() * P::size()));
    for p in points {
        p.lem(&mut lem);
        p.u(&mut u);
    }
    (lem, u)
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err("odd-length hex".into());
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string())).collect()
}
