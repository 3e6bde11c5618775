//! The insecure dev powers of tau, computed from known secrets (tau, alpha, beta): the file
//! `writeDevPtau` in packages/zkml/src/setup/devPtau.ts writes, byte for byte, with every
//! point a fixed-base multiplication of a generator (arkworks' windowed batch multiplication
//! on every core) instead of one WebAssembly multiplication at a time. Sections: 1 header,
//! 2 tau^i·G1 (2n−1), 3 tau^i·G2, 4 alpha·tau^i·G1, 5 beta·tau^i·G1, 6 beta·G2, 7 no
//! contributions, 12-15 the Lagrange bases of every level 2^0..2^power (12 also the level
//! 2^(power+1) without its highest power, as snarkjs's `preparePhase2` leaves it).
use crate::curve::{batch_add, Rpr};
use ark_bn254::{Fq, Fr, G1Projective, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{batch_inversion, AdditiveGroup, FftField, Field, PrimeField};
use rayon::prelude::*;
use std::io::Write;

/// Bits per signed window of `FixedBase` (16 windows cover a 254-bit scalar).
const WINDOW: usize = 16;
/// Scalars per batch of affine additions (one field inversion each).
const BATCH: usize = 1024;

/// Fixed-base multiplication of one generator by many scalars: signed 16-bit windows, a table
/// of d·2^(16j)·G for d = 1..2^15 per window, and each scalar's point the sum of one table entry
/// per window, added in affine form for a whole batch of scalars at once (Montgomery's trick:
/// one inversion per batch), so there is no projective arithmetic and no final normalisation.
struct FixedBase<P: SWCurveConfig> {
    tables: Vec<Vec<Affine<P>>>,
}

impl<P: SWCurveConfig<ScalarField = Fr>> FixedBase<P> {
    fn new(g: Projective<P>) -> Self {
        let mut bases = vec![g];
        for _ in 1..windows() {
            let mut b = *bases.last().unwrap();
            for _ in 0..WINDOW {
                b.double_in_place();
            }
            bases.push(b);
        }
        let tables = bases
            .into_par_iter()
            .map(|b| {
                let mut multiples = Vec::with_capacity(1 << (WINDOW - 1));
                let mut x = b;
                for _ in 0..1 << (WINDOW - 1) {
                    multiples.push(x);
                    x += b;
                }
                Projective::normalize_batch(&multiples)
            })
            .collect();
        FixedBase { tables }
    }

    /// The scalar's signed digits, each in [−2^15, 2^15], least significant first.
    fn digits(k: &Fr) -> Vec<i32> {
        let limbs = k.into_bigint().0;
        let half = 1i64 << (WINDOW - 1);
        let mut carry = 0i64;
        (0..windows())
            .map(|j| {
                let bit = j * WINDOW;
                let v = ((limbs[bit / 64] >> (bit % 64)) & 0xffff) as i64 + carry;
                carry = i64::from(v > half);
                (v - (carry << WINDOW)) as i32
            })
            .collect()
    }

    fn batch_mul(&self, scalars: &[Fr]) -> Vec<Affine<P>> {
        scalars.par_chunks(BATCH).flat_map_iter(|chunk| self.chunk_mul(chunk)).collect()
    }

    fn chunk_mul(&self, scalars: &[Fr]) -> Vec<Affine<P>> {
        let digits: Vec<Vec<i32>> = scalars.iter().map(Self::digits).collect();
        let mut acc = vec![Affine::<P>::identity(); scalars.len()];
        let mut add = Vec::with_capacity(scalars.len());
        for (j, table) in self.tables.iter().enumerate() {
            add.clear();
            add.extend(digits.iter().map(|d| match d[j] {
                0 => Affine::<P>::identity(),
                d if d > 0 => table[d as usize - 1],
                d => -table[(-d) as usize - 1],
            }));
            batch_add(&mut acc, &add);
        }
        acc
    }
}

/// Signed windows of a scalar (254 bits; the top window's carry fits in it).
fn windows() -> usize {
    (Fr::MODULUS_BIT_SIZE as usize).div_ceil(WINDOW)
}

pub struct Secrets {
    pub tau: Fr,
    pub alpha: Fr,
    pub beta: Fr,
}

/// L_i(tau) = (tau^n − 1)/n · w^i/(tau − w^i) over the 2^log2n roots of unity; with
/// `last_power_missing`, minus tau^(n−1)·w^i/n.
fn lagrange(tau: Fr, log2n: u32, last_power_missing: bool) -> Vec<Fr> {
    let n = 1usize << log2n;
    let w = Fr::get_root_of_unity(n as u64).unwrap();
    let mut roots = Vec::with_capacity(n);
    let mut r = Fr::ONE;
    for _ in 0..n {
        roots.push(r);
        r *= w;
    }
    let n_inv = Fr::from(n as u64).inverse().unwrap();
    let factor = (tau.pow([n as u64]) - Fr::ONE) * n_inv;
    let mut inv: Vec<Fr> = roots.iter().map(|r| tau - r).collect();
    batch_inversion(&mut inv);
    let last = tau.pow([n as u64 - 1]) * n_inv;
    roots
        .par_iter()
        .zip(inv)
        .map(|(r, i)| {
            let l = factor * r * i;
            if last_power_missing { l - last * r } else { l }
        })
        .collect()
}

/// Writes the dev .ptau of 2^power points. `progress` gets a label per section.
pub fn write_dev_ptau(path: &str, power: u32, s: &Secrets, progress: &mut dyn FnMut(&str)) -> std::io::Result<()> {
    let n = 1usize << power;
    let mut powers = Vec::with_capacity(2 * n - 1);
    let mut p = Fr::ONE;
    for _ in 0..2 * n - 1 {
        powers.push(p);
        p *= s.tau;
    }
    let g1 = FixedBase::new(G1Projective::generator());
    let g2 = FixedBase::new(G2Projective::generator());
    let scaled = |k: Fr, xs: &[Fr]| -> Vec<Fr> { xs.par_iter().map(|x| k * x).collect() };

    let mut f = std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(path)?);
    f.write_all(b"ptau")?;
    f.write_all(&1u32.to_le_bytes())?;
    f.write_all(&11u32.to_le_bytes())?;
    let section = |f: &mut std::io::BufWriter<std::fs::File>, id: u32, body: &[u8]| -> std::io::Result<()> {
        f.write_all(&id.to_le_bytes())?;
        f.write_all(&(body.len() as u64).to_le_bytes())?;
        f.write_all(body)
    };
    fn lem<P: Rpr>(points: &[P]) -> Vec<u8> {
        let mut out = Vec::with_capacity(points.len() * P::size());
        for p in points {
            p.lem(&mut out);
        }
        out
    }
    let mut header = 32u32.to_le_bytes().to_vec();
    header.extend(Fq::MODULUS.0.iter().flat_map(|l| l.to_le_bytes()));
    header.extend(power.to_le_bytes());
    header.extend(power.to_le_bytes());
    section(&mut f, 1, &header)?;
    progress("tau G1");
    section(&mut f, 2, &lem(&g1.batch_mul(&powers)))?;
    progress("tau G2");
    section(&mut f, 3, &lem(&g2.batch_mul(&powers[..n])))?;
    progress("alpha tau G1");
    section(&mut f, 4, &lem(&g1.batch_mul(&scaled(s.alpha, &powers[..n]))))?;
    progress("beta tau G1");
    section(&mut f, 5, &lem(&g1.batch_mul(&scaled(s.beta, &powers[..n]))))?;
    section(&mut f, 6, &lem(&g2.batch_mul(&[s.beta])))?;
    section(&mut f, 7, &[0u8; 4])?;
    drop(powers);

    progress("Lagrange bases");
    let levels: Vec<Vec<Fr>> = (0..=power).map(|p| lagrange(s.tau, p, false)).collect();
    let all: Vec<Fr> = levels.iter().flatten().copied().collect();
    let mut tau12 = g1.batch_mul(&all);
    tau12.extend(g1.batch_mul(&lagrange(s.tau, power + 1, true)));
    section(&mut f, 12, &lem(&tau12))?;
    drop(tau12);
    progress("Lagrange bases G2");
    section(&mut f, 13, &lem(&g2.batch_mul(&all)))?;
    progress("Lagrange bases alpha");
    section(&mut f, 14, &lem(&g1.batch_mul(&scaled(s.alpha, &all))))?;
    progress("Lagrange bases beta");
    section(&mut f, 15, &lem(&g1.batch_mul(&scaled(s.beta, &all))))?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G2Affine};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    #[test]
    fn fixed_base_multiplication_matches_arkworks() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut scalars: Vec<Fr> = [0u64, 1, 2, 32767, 32768, 32769, 65535, 65536, 1 << 40].map(Fr::from).to_vec();
        scalars.extend([-Fr::ONE, -Fr::from(32768u64), Fr::from(2u64).pow([250])]);
        scalars.extend((0..BATCH + 3).map(|_| rng.gen::<Fr>()));
        let g1 = FixedBase::new(G1Projective::generator());
        let want: Vec<G1Affine> = scalars.iter().map(|k| (G1Projective::generator() * k).into_affine()).collect();
        assert_eq!(g1.batch_mul(&scalars), want);
        let g2 = FixedBase::new(G2Projective::generator());
        let want: Vec<G2Affine> = scalars[..20].iter().map(|k| (G2Projective::generator() * k).into_affine()).collect();
        assert_eq!(g2.batch_mul(&scalars[..20]), want);
    }
}
