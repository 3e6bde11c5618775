//! A phase-2 contribution to a Groth16 .zkey, as snarkjs's `zkey contribute`
//! (`zkey_contribute.js`): a secret δ scales delta in G1 and G2 and divides the L (section 8)
//! and H (section 9) points; the contribution record (δ·previous delta, the public key
//! g1_s, g1_s·δ, g2_sp·δ, the transcript) is appended to section 10. g2_sp is derived from the
//! transcript exactly as snarkjs does (ChaCha seeded with the hash, a point from that stream,
//! times the G2 cofactor), so `snarkjs zkey verify` checks the record.
use crate::binfile::{write_sections, BinFile, Reader};
use crate::curve::{batch_add, batch_double, g1_from_lem, g2_from_lem, Rpr, G1_SIZE, G2_SIZE};
use ark_bn254::{g1, g2, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

/// ffjavascript's ChaCha20 stream (`chacha.js`): 8 seed words, a 32-bit block counter.
pub struct ChaCha {
    state: [u32; 16],
    buf: [u32; 16],
    idx: usize,
}

impl ChaCha {
    pub fn new(seed: [u32; 8]) -> ChaCha {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&[0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]);
        state[4..12].copy_from_slice(&seed);
        ChaCha { state, buf: [0; 16], idx: 16 }
    }

    /// Seeded with the first 32 bytes of a hash, as big-endian words (snarkjs's `hashToG2`).
    pub fn from_hash(h: &[u8]) -> ChaCha {
        ChaCha::new(std::array::from_fn(|i| u32::from_be_bytes(h[4 * i..4 * i + 4].try_into().unwrap())))
    }

    fn update(&mut self) {
        let mut x = self.state;
        fn qr(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(16);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(12);
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(8);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(7);
        }
        for _ in 0..10 {
            qr(&mut x, 0, 4, 8, 12);
            qr(&mut x, 1, 5, 9, 13);
            qr(&mut x, 2, 6, 10, 14);
            qr(&mut x, 3, 7, 11, 15);
            qr(&mut x, 0, 5, 10, 15);
            qr(&mut x, 1, 6, 11, 12);
            qr(&mut x, 2, 7, 8, 13);
            qr(&mut x, 3, 4, 9, 14);
        }
        for i in 0..16 {
            self.buf[i] = x[i].wrapping_add(self.state[i]);
        }
        self.idx = 0;
        for i in 12..16 {
            self.state[i] = self.state[i].wrapping_add(1);
            if self.state[i] != 0 {
                break;
            }
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.idx == 16 {
            self.update();
        }
        self.idx += 1;
        self.buf[self.idx - 1]
    }

    /// The high word first.
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        (hi << 32) | self.next_u32() as u64
    }

    pub fn next_bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }

    /// ffjavascript's `F.fromRng`: four words masked to the modulus' 254 bits, redrawn until
    /// below it, taken as the element's Montgomery form.
    fn montgomery_limbs(&mut self, modulus: BigInt<4>) -> BigInt<4> {
        loop {
            let mut l = [0u64; 4];
            for x in l.iter_mut() {
                *x = self.next_u64();
            }
            l[3] &= (1u64 << 62) - 1;
            let v = BigInt(l);
            if v < modulus {
                return v;
            }
        }
    }

    pub fn fr(&mut self) -> Fr {
        Fr::new_unchecked(self.montgomery_limbs(Fr::MODULUS))
    }

    pub fn fq(&mut self) -> Fq {
        Fq::new_unchecked(self.montgomery_limbs(Fq::MODULUS))
    }
}

/// ffjavascript's `isNegative`: the canonical value is above (p − 1)/2; in Fq2 that of c1,
/// or of c0 when c1 is zero.
fn fq_negative(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

fn fq2_negative(x: &Fq2) -> bool {
    if x.c1.is_zero() { fq_negative(&x.c0) } else { fq_negative(&x.c1) }
}

/// ffjavascript's `G1.fromRng` (no cofactor).
pub fn g1_from_rng(rng: &mut ChaCha) -> G1Affine {
    loop {
        let x = rng.fq();
        let greatest = rng.next_bool();
        let rhs = x.square() * x + g1::Config::COEFF_B;
        if let Some(mut y) = rhs.sqrt() {
            if greatest ^ fq_negative(&y) {
                y = -y;
            }
            return G1Affine::new_unchecked(x, y);
        }
    }
}

/// ffjavascript's `G2.fromRng`: a point of the twist, times the G2 cofactor.
pub fn g2_from_rng(rng: &mut ChaCha) -> G2Affine {
    // 0x30644e72e131a029b85045b68181585e06ceecda572a2489345f2299c0f9fa8d (2p − r)
    const COFACTOR: [u64; 4] = [0x345f2299c0f9fa8d, 0x06ceecda572a2489, 0xb85045b68181585e, 0x30644e72e131a029];
    loop {
        let x = Fq2::new(rng.fq(), rng.fq());
        let greatest = rng.next_bool();
        let rhs = x.square() * x + g2::Config::COEFF_B;
        if let Some(mut y) = rhs.sqrt() {
            if greatest ^ fq2_negative(&y) {
                y = -y;
            }
            return G2Affine::new_unchecked(x, y).mul_bigint(COFACTOR).into_affine();
        }
    }
}

/// snarkjs's `hashToG2`.
pub fn hash_to_g2(hash: &[u8]) -> G2Affine {
    g2_from_rng(&mut ChaCha::from_hash(hash))
}

/// One record of section 10.
struct Record {
    delta_after: G1Affine,
    g1_s: G1Affine,
    g1_sx: G1Affine,
    g2_spx: G2Affine,
    transcript: Vec<u8>,
}

impl Record {
    /// snarkjs's `hashPubKey`.
    fn hash_into(&self, h: &mut Blake2b512) {
        let mut u = Vec::new();
        self.delta_after.u(&mut u);
        self.g1_s.u(&mut u);
        self.g1_sx.u(&mut u);
        self.g2_spx.u(&mut u);
        h.update(&u);
        h.update(&self.transcript);
    }

    fn read(r: &mut Reader) -> Result<Record, String> {
        let rec = Record {
            delta_after: g1_from_lem(r.take(G1_SIZE)?),
            g1_s: g1_from_lem(r.take(G1_SIZE)?),
            g1_sx: g1_from_lem(r.take(G1_SIZE)?),
            g2_spx: g2_from_lem(r.take(G2_SIZE)?),
            transcript: r.take(64)?.to_vec(),
        };
        let _type = r.u32()?;
        let params = r.u32()? as usize;
        r.take(params)?;
        Ok(rec)
    }
}

/// The contribution's hash (what participants publish) and the circuit hash.
pub struct Contribution {
    pub hash: [u8; 64],
    pub cs_hash: Vec<u8>,
}

/// snarkjs's name parameter: at most 64 UTF-16 units of the name, UTF-8.
fn name_param(name: &str) -> Vec<u8> {
    let units: Vec<u16> = name.encode_utf16().take(64).collect();
    let bytes = String::from_utf16_lossy(&units).into_bytes();
    let mut p = vec![1u8, bytes.len() as u8];
    p.extend(bytes);
    p
}

/// Reads `old`, adds a contribution made from `entropy` (mixed with 64 random bytes from the
/// OS, as snarkjs does) and writes `new`.
pub fn contribute(old: &[u8], new: &str, name: &str, entropy: &str, progress: &mut dyn FnMut(&str)) -> Result<Contribution, String> {
    let mut random = [0u8; 64];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let seed = Blake2b512::new().chain_update(random).chain_update(entropy.as_bytes()).finalize();
    contribute_with(old, new, name, &mut ChaCha::from_hash(&seed), progress)
}

/// `contribute` with a given random stream (deterministic, for tests).
pub fn contribute_with(old: &[u8], new: &str, name: &str, rng: &mut ChaCha, progress: &mut dyn FnMut(&str)) -> Result<Contribution, String> {
    let file = BinFile::parse(old)?;
    if &file.magic != b"zkey" || Reader::new(file.section(1)?).u32()? != 1 {
        return Err("not a Groth16 .zkey".into());
    }
    let header = file.section(2)?;
    // n8q, q, n8r, r, nVars, nPublic, domainSize, then alpha1 beta1 beta2 gamma2 delta1 delta2
    let points_at = 4 + 32 + 4 + 32 + 12;
    let delta1_at = points_at + 2 * G1_SIZE + 2 * G2_SIZE;
    if header.len() != delta1_at + G1_SIZE + G2_SIZE || Reader::new(header).u32()? != 32 {
        return Err("not a BN254 Groth16 header".into());
    }
    let delta1 = g1_from_lem(&header[delta1_at..]);
    let delta2 = g2_from_lem(&header[delta1_at + G1_SIZE..]);

    let mpc = file.section(10)?;
    let mut r = Reader::new(mpc);
    let cs_hash = r.take(64)?.to_vec();
    let n = r.u32()? as usize;
    let mut transcript = Blake2b512::new();
    transcript.update(&cs_hash);
    for _ in 0..n {
        Record::read(&mut r)?.hash_into(&mut transcript);
    }
    let records_end = mpc.len() - r.remaining();

    let prv = rng.fr();
    if prv.is_zero() {
        return Err("zero contribution key".into());
    }
    let g1_s = g1_from_rng(rng);
    let g1_sx = (g1_s * prv).into_affine();
    let mut u = Vec::new();
    g1_s.u(&mut u);
    g1_sx.u(&mut u);
    transcript.update(&u);
    let transcript = transcript.finalize().to_vec();
    let g2_spx = (hash_to_g2(&transcript) * prv).into_affine();
    let new_delta1 = (delta1 * prv).into_affine();
    let new_delta2 = (delta2 * prv).into_affine();
    let record = Record { delta_after: new_delta1, g1_s, g1_sx, g2_spx, transcript };

    let mut new_header = header[..delta1_at].to_vec();
    new_delta1.lem(&mut new_header);
    new_delta2.lem(&mut new_header);

    let inv = prv.inverse().unwrap();
    progress("L points");
    let l = scale(file.section(8)?, inv)?;
    progress("H points");
    let h = scale(file.section(9)?, inv)?;

    let mut mpc_new = mpc[..records_end].to_vec();
    mpc_new[64..68].copy_from_slice(&((n + 1) as u32).to_le_bytes());
    record.delta_after.lem(&mut mpc_new);
    record.g1_s.lem(&mut mpc_new);
    record.g1_sx.lem(&mut mpc_new);
    record.g2_spx.lem(&mut mpc_new);
    mpc_new.extend_from_slice(&record.transcript);
    mpc_new.extend_from_slice(&0u32.to_le_bytes());
    let params = if name.is_empty() { Vec::new() } else { name_param(name) };
    mpc_new.extend_from_slice(&(params.len() as u32).to_le_bytes());
    mpc_new.extend(params);

    progress("writing");
    let sections: [(u32, &[u8]); 10] = [
        (1, file.section(1)?),
        (2, &new_header),
        (3, file.section(3)?),
        (4, file.section(4)?),
        (5, file.section(5)?),
        (6, file.section(6)?),
        (7, file.section(7)?),
        (8, &l),
        (9, &h),
        (10, &mpc_new),
    ];
    write_sections(new, &sections).map_err(|e| format!("writing {new}: {e}"))?;

    let mut hasher = Blake2b512::new();
    record.hash_into(&mut hasher);
    Ok(Contribution { hash: hasher.finalize().into(), cs_hash })
}

/// Every point of a G1 section times `k`, affine LEM again ((0, 0) stays infinity).
fn scale(section: &[u8], k: Fr) -> Result<Vec<u8>, String> {
    if section.len() % G1_SIZE != 0 {
        return Err("a point section of a partial point".into());
    }
    let by = FixedScalar::new(k);
    let chunks: Vec<Vec<u8>> = section
        .par_chunks(G1_SIZE * BATCH)
        .map(|c| {
            let mut out = Vec::with_capacity(c.len());
            for p in by.mul(c.chunks_exact(G1_SIZE).map(g1_from_lem).collect()) {
                p.lem(&mut out);
            }
            out
        })
        .collect();
    Ok(chunks.concat())
}

/// Width of the NAF digits of `FixedScalar` (a table of 2^(W−2) odd multiples per point).
const W: usize = 5;
/// Points multiplied in lock-step (one inversion per step for all of them).
const BATCH: usize = 1024;

/// One scalar for many G1 points: its GLV halves (about 128 bits each) and their width-5 NAF
/// digits computed once. A batch of points then goes through the same steps together, in
/// affine form with one inversion per step for the batch (`batch_double`, `batch_add`): a
/// table of each point's odd multiples (and their endomorphism images), 128 doublings and
/// about 43 additions, instead of a 254-bit double-and-add per point.
pub struct FixedScalar {
    /// (digit of the first half, digit of the second), least significant first
    digits: Vec<(i64, i64)>,
}

impl FixedScalar {
    pub fn new(k: Fr) -> FixedScalar {
        let ((s1, k1), (s2, k2)) = g1::Config::scalar_decomposition(k);
        let naf = |positive: bool, k: Fr| -> Vec<i64> {
            let d = k.into_bigint().find_wnaf(W).expect("a GLV half fits its NAF");
            if positive { d } else { d.into_iter().map(|x| -x).collect() }
        };
        let (d1, d2) = (naf(s1, k1), naf(s2, k2));
        let digits = (0..d1.len().max(d2.len())).map(|i| (d1.get(i).copied().unwrap_or(0), d2.get(i).copied().unwrap_or(0))).collect();
        FixedScalar { digits }
    }

    /// k·p for every p.
    pub fn mul(&self, points: Vec<G1Affine>) -> Vec<G1Affine> {
        let mut twice = points.clone();
        batch_double(&mut twice);
        let mut odd = vec![points];
        for j in 1..1 << (W - 2) {
            let mut next = odd[j - 1].clone();
            batch_add(&mut next, &twice);
            odd.push(next);
        }
        let phi: Vec<Vec<G1Affine>> = odd.iter().map(|t| t.iter().map(g1::Config::endomorphism_affine).collect()).collect();
        let mut acc = vec![G1Affine::identity(); twice.len()];
        let mut negated = Vec::with_capacity(twice.len());
        for &(d1, d2) in self.digits.iter().rev() {
            batch_double(&mut acc);
            for (d, table) in [(d1, &odd), (d2, &phi)] {
                let t = &table[(d.unsigned_abs() as usize).saturating_sub(1) / 2];
                match d.cmp(&0) {
                    std::cmp::Ordering::Greater => batch_add(&mut acc, t),
                    std::cmp::Ordering::Less => {
                        negated.clear();
                        negated.extend(t.iter().map(|p| -*p));
                        batch_add(&mut acc, &negated);
                    }
                    std::cmp::Ordering::Equal => {}
                }
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::G1Projective;
    use ark_ec::PrimeGroup;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    #[test]
    fn a_fixed_scalar_multiplies_as_arkworks_does() {
        let mut rng = StdRng::seed_from_u64(3);
        for k in [Fr::ONE, -Fr::ONE, Fr::from(2u64), Fr::from(rng.gen::<u64>()), rng.gen(), rng.gen(), -Fr::from(12345u64)] {
            let by = FixedScalar::new(k);
            let points = vec![G1Affine::identity(), G1Affine::generator(), (G1Projective::generator() * rng.gen::<Fr>()).into_affine()];
            let want: Vec<G1Affine> = points.iter().map(|p| (*p * k).into_affine()).collect();
            assert_eq!(by.mul(points), want);
        }
    }
}
