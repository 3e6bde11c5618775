//! BN254 points in the two byte layouts snarkjs uses: LEM (affine, little-endian, Montgomery
//! form, (0, 0) for infinity; what .zkey and .ptau files hold) and U ("uncompressed": affine,
//! big-endian, canonical, c1 before c0 in G2, all zeros for infinity; what its hashes read).
use crate::binfile::limbs;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{batch_inversion, AdditiveGroup, BigInt, Field, PrimeField, Zero};

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

/// acc[i] += add[i] for every i, in affine form with one inversion; the rare pairs the affine
/// formula does not cover (an infinity, equal or opposite points) go through projective form.
pub fn batch_add<P: SWCurveConfig>(acc: &mut [Affine<P>], add: &[Affine<P>]) {
    let mut den: Vec<P::BaseField> = acc
        .iter()
        .zip(add)
        .map(|(a, b)| if a.is_zero() || b.is_zero() || a.x == b.x { P::BaseField::ONE } else { b.x - a.x })
        .collect();
    batch_inversion(&mut den);
    for ((a, b), inv) in acc.iter_mut().zip(add).zip(den) {
        if b.is_zero() {
            continue;
        }
        if a.is_zero() {
            *a = *b;
        } else if a.x == b.x {
            *a = (Projective::from(*a) + b).into_affine();
        } else {
            let l = (b.y - a.y) * inv;
            let x = l.square() - a.x - b.x;
            let y = l * (a.x - x) - a.y;
            *a = Affine::new_unchecked(x, y);
        }
    }
}

/// acc[i] = 2·acc[i] for every i, in affine form with one inversion.
pub fn batch_double<P: SWCurveConfig>(acc: &mut [Affine<P>]) {
    let mut den: Vec<P::BaseField> = acc.iter().map(|a| if a.is_zero() || a.y.is_zero() { P::BaseField::ONE } else { a.y.double() }).collect();
    batch_inversion(&mut den);
    for (a, inv) in acc.iter_mut().zip(den) {
        if a.is_zero() {
            continue;
        }
        if a.y.is_zero() {
            *a = Affine::identity();
            continue;
        }
        let xx = a.x.square();
        let l = (xx.double() + xx + P::COEFF_A) * inv;
        let x = l.square() - a.x.double();
        let y = l * (a.x - x) - a.y;
        *a = Affine::new_unchecked(x, y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Projective};
    use ark_ec::PrimeGroup;

    #[test]
    fn batch_addition_covers_infinity_and_equal_and_opposite_points() {
        let p = G1Affine::generator();
        let q = (G1Projective::generator() * Fr::from(7u64)).into_affine();
        let zero = G1Affine::identity();
        let mut acc = [p, p, -p, zero, q, p];
        batch_add(&mut acc, &[p, -p, q, q, zero, q]);
        let sum = |a: G1Affine, b: G1Affine| (G1Projective::from(a) + b).into_affine();
        assert_eq!(acc, [sum(p, p), zero, sum(-p, q), q, q, sum(p, q)]);
    }

    #[test]
    fn batch_doubling_doubles_and_keeps_infinity() {
        let p = G1Affine::generator();
        let q = (G1Projective::generator() * Fr::from(7u64)).into_affine();
        let mut acc = [p, G1Affine::identity(), q];
        batch_double(&mut acc);
        assert_eq!(acc, [(p + p).into_affine(), G1Affine::identity(), (q + q).into_affine()]);
    }
}
