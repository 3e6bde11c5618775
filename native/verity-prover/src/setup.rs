//! Groth16 phase 2 from a circuit and a prepared powers of tau: the same .zkey as snarkjs's
//! `zkey new` (snarkjs 0.7 `zkey_new.js`), byte for byte: sections written in its order
//! (1, 2, 4, 3, 9, 8, 5, 6, 7, 10), every point the same sum of Lagrange-basis points, and the
//! circuit hash (blake2b-512) over the same bytes, including its quirks (see `hash_h`).
use crate::curve::{hex, layouts, Rpr, G1_SIZE, G2_SIZE};
use crate::ptau::Ptau;
use crate::r1cs::R1cs;
use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, BigInt, Field, PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;
use crate::binfile::SectionWriter;

/// snarkjs hashes the H points in chunks of this many (see `hash_h`).
const H_HASH_CHUNK: usize = 1 << 14;

const TAU: u8 = 0;
const ALPHA_TAU: u8 = 1;
const BETA_TAU: u8 = 2;

/// The domain snarkjs gives a circuit: 2^(floor(log2(constraints + public)) + 1).
pub fn domain_power(n_constraints: usize, n_public: usize) -> u32 {
    let v = (n_constraints + n_public) as u32;
    (if v == 0 { 0 } else { 31 - v.leading_zeros() }) + 1
}

/// Where snarkjs's hash of the H points reads past the end of the powers of tau's section 2
/// (a ptau of exactly the circuit's power and a domain above 2^14): the point's index there.
/// Its bytes belong to the next section and their difference is computed by snarkjs's
/// WebAssembly field code on unreduced numbers, which this crate does not reproduce: the
/// caller passes that one hashed point (`h_tail`, computed with ffjavascript).
pub fn h_tail_index(ptau_power: u32, domain: usize) -> Option<usize> {
    let last = h_hash_count(domain) - 1 + domain;
    (last >= (1usize << (ptau_power + 1)) - 1).then_some(last)
}

/// How many H points snarkjs hashes: `domain − 1` rounded up to whole chunks of 2^14
/// (its loop reads a full chunk each time), after writing `domain − 1` as their count.
fn h_hash_count(domain: usize) -> usize {
    let n = (domain - 1).min(H_HASH_CHUNK);
    (domain - 1).div_ceil(H_HASH_CHUNK) * n
}

/// One term of a wire's point: `coef` times point `row` of basis `kind`.
#[derive(Clone, Copy)]
struct Item {
    wire: u32,
    kind: u8,
    row: u32,
    coef: BigInt<4>,
}

/// Terms grouped by wire (a counting sort): wire `w`'s terms are `items[starts[w]..starts[w + 1]]`.
struct ByWire {
    items: Vec<Item>,
    starts: Vec<usize>,
}

impl ByWire {
    fn new(items: Vec<Item>, n_wires: usize) -> ByWire {
        let mut starts = vec![0usize; n_wires + 1];
        for t in &items {
            starts[t.wire as usize + 1] += 1;
        }
        for w in 0..n_wires {
            starts[w + 1] += starts[w];
        }
        let mut next = starts.clone();
        let mut sorted = vec![Item { wire: 0, kind: 0, row: 0, coef: BigInt::zero() }; items.len()];
        for t in items {
            let at = &mut next[t.wire as usize];
            sorted[*at] = t;
            *at += 1;
        }
        ByWire { items: sorted, starts }
    }
}

fn scalar_one() -> BigInt<4> {
    BigInt([1, 0, 0, 0])
}

/// A wire with at least this many terms is summed by arkworks' multi-scalar multiplication.
const MSM_MIN_TERMS: usize = 32;

/// A coefficient as written (possibly not reduced), as a field element.
fn field(coef: BigInt<4>) -> Fr {
    Fr::from_bigint(coef).unwrap_or_else(|| Fr::from_le_bytes_mod_order(&modulus_bytes(coef)))
}

/// A scalar of at most 64 bits, or the negative of one: (negative, magnitude).
fn small(k: Fr) -> Option<(bool, u64)> {
    let (plus, minus) = (k.into_bigint(), (-k).into_bigint());
    let fits = |b: BigInt<4>| b.0[1..] == [0, 0, 0];
    if fits(plus) {
        Some((false, plus.0[0]))
    } else if fits(minus) {
        Some((true, minus.0[0]))
    } else {
        None
    }
}

/// The non-adjacent form of `x` as (positive digits, negative digits) bit masks.
fn naf(x: u64) -> (u128, u128) {
    let x = x as u128;
    let (xh, x3) = (x >> 1, x + (x >> 1));
    let c = xh ^ x3;
    (x3 & c, xh & c)
}

/// One wire's Σ coef·basis[kind][row]. Circuits are full of small constants and their
/// negatives, a few terms per wire: the small scalars share one chain of doublings (Straus,
/// with NAF digits), wide ones use GLV; a wire with many terms (the constant wire) is one MSM.
fn wire_sum<P: SWCurveConfig<ScalarField = Fr> + GLVConfig>(terms: &[Item], bases: &[&[Affine<P>]]) -> Projective<P> {
    let point = |t: &Item| bases[t.kind as usize][t.row as usize];
    if terms.len() >= MSM_MIN_TERMS {
        let points: Vec<Affine<P>> = terms.iter().map(point).collect();
        let scalars: Vec<BigInt<4>> = terms.iter().map(|t| field(t.coef).into_bigint()).collect();
        return Projective::<P>::msm_bigint(&points, &scalars);
    }
    let mut acc = Projective::<P>::zero();
    let mut digits: Vec<(u128, u128, Affine<P>)> = Vec::with_capacity(terms.len());
    let mut top = 0;
    for t in terms {
        let k = field(t.coef);
        match small(k) {
            Some((negative, v)) => {
                let (plus, minus) = naf(v);
                top = top.max(128 - (plus | minus).leading_zeros());
                digits.push(if negative { (minus, plus, point(t)) } else { (plus, minus, point(t)) });
            }
            None => acc += P::glv_mul_projective(point(t).into(), k),
        }
    }
    let mut sum = Projective::<P>::zero();
    for i in (0..top).rev() {
        sum.double_in_place();
        for (plus, minus, p) in &digits {
            if (plus >> i) & 1 == 1 {
                sum += p;
            } else if (minus >> i) & 1 == 1 {
                sum -= p;
            }
        }
    }
    acc + sum
}

/// Every wire's Σ coef·basis[kind][row], in affine form, wires in parallel.
fn points_of<P: SWCurveConfig<ScalarField = Fr> + GLVConfig>(by: &ByWire, bases: &[&[Affine<P>]]) -> Vec<Affine<P>> {
    let sums: Vec<Projective<P>> = by
        .starts
        .par_windows(2)
        .with_min_len(256)
        .map(|b| if b[1] > b[0] { wire_sum(&by.items[b[0]..b[1]], bases) } else { Projective::<P>::zero() })
        .collect();
    Projective::<P>::normalize_batch(&sums)
}

fn parse_points<T: Send>(bytes: &[u8], size: usize, f: fn(&[u8]) -> T) -> Vec<T> {
    bytes.par_chunks_exact(size).map(f).collect()
}

fn u32_be(n: usize) -> [u8; 4] {
    (n as u32).to_be_bytes()
}

fn le32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn modulus_bytes(m: BigInt<4>) -> Vec<u8> {
    m.0.iter().flat_map(|l| l.to_le_bytes()).collect()
}

/// What `new_zkey` made.
pub struct NewKey {
    pub cs_hash: [u8; 64],
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
}

/// Writes the phase-2 key of `r1cs` over `ptau` to `out`, as `snarkjs zkey new` does.
/// `h_tail` is the one hashed H point snarkjs reads past section 2 (see `h_tail_index`),
/// required when there is one. `progress` gets a short label per step. The circuit is
/// dropped once its terms are grouped by wire, and each section is written as soon as it is
/// made (to `out.partial`, renamed at the end): a multi-million-constraint key never holds the
/// circuit, the Lagrange bases and every section at once.
pub fn new_zkey(r1cs: R1cs, ptau: &mut Ptau, out: &str, h_tail: Option<&[u8]>, progress: &mut dyn FnMut(&str)) -> Result<NewKey, String> {
    let partial = format!("{out}.partial");
    let key = write_zkey(r1cs, ptau, &partial, h_tail, progress);
    match &key {
        Ok(_) => std::fs::rename(&partial, out).map_err(|e| format!("writing {out}: {e}"))?,
        Err(_) => {
            let _ = std::fs::remove_file(&partial);
        }
    }
    key
}

fn write_zkey(r1cs: R1cs, ptau: &mut Ptau, out: &str, h_tail: Option<&[u8]>, progress: &mut dyn FnMut(&str)) -> Result<NewKey, String> {
    let n_public = r1cs.n_public;
    let n_vars = r1cs.n_wires;
    let n_c = r1cs.n_constraints;
    let power = domain_power(n_c, n_public);
    if power > ptau.power {
        return Err(format!("the circuit needs a powers of tau of 2^{power} points; this one has 2^{}", ptau.power));
    }
    if !ptau.has(12) {
        return Err("the powers of tau is not prepared for phase 2 (no Lagrange sections)".into());
    }
    let domain = 1usize << power;
    let tail_index = h_tail_index(ptau.power, domain);
    let h_tail = match (tail_index, h_tail) {
        (Some(_), Some(t)) if t.len() == G1_SIZE => Some(t),
        (Some(i), _) => return Err(format!("the H hash reads point {i} past section 2: pass its 64-byte hash input (h_tail)")),
        (None, _) => None,
    };
    let mut hasher = Blake2b512::new();
    let io = |e: std::io::Error| format!("writing {out}: {e}");
    let mut file = SectionWriter::create(out, 10).map_err(io)?;
    file.section(1, &1u32.to_le_bytes()).map_err(io)?;

    // 2: the header and the verification key's fixed points
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let alpha1 = crate::curve::g1_from_lem(&ptau.read(4, 0, G1_SIZE)?);
    let beta1 = crate::curve::g1_from_lem(&ptau.read(5, 0, G1_SIZE)?);
    let beta2 = crate::curve::g2_from_lem(&ptau.read(6, 0, G2_SIZE)?);
    let mut header = Vec::new();
    le32(&mut header, 32);
    header.extend(modulus_bytes(Fq::MODULUS));
    le32(&mut header, 32);
    header.extend(modulus_bytes(Fr::MODULUS));
    le32(&mut header, n_vars);
    le32(&mut header, n_public);
    le32(&mut header, domain);
    let mut u = Vec::new();
    alpha1.lem(&mut header);
    alpha1.u(&mut u);
    beta1.lem(&mut header);
    beta1.u(&mut u);
    beta2.lem(&mut header);
    beta2.u(&mut u);
    g2.lem(&mut header);
    g1.lem(&mut header);
    g2.lem(&mut header);
    g2.u(&mut u);
    g1.u(&mut u);
    g2.u(&mut u);
    hasher.update(&u);
    file.section(2, &header).map_err(io)?;

    // 4: the A and B coefficients, value·R² (so a reader's two Montgomery conversions give it)
    progress("coefficients");
    let r2 = Fr::from(2u64).pow([512]);
    let push_coef = |coefs: &mut Vec<u8>, m: u32, c: usize, s: usize, v: Fr| {
        coefs.extend_from_slice(&m.to_le_bytes());
        le32(coefs, c);
        le32(coefs, s);
        coefs.extend(modulus_bytes((v * r2).into_bigint()));
    };
    // each constraint's A and B terms on every core, written in order
    let per_constraint: Vec<Vec<u8>> = r1cs
        .constraints
        .par_iter()
        .enumerate()
        .map(|(c, [a, b, _])| {
            let mut out = Vec::with_capacity((a.len() + b.len()) * 44);
            for (m, lc) in [(0u32, a), (1, b)] {
                for t in lc {
                    push_coef(&mut out, m, c, t.wire as usize, field(t.coef));
                }
            }
            out
        })
        .collect();
    let count = r1cs.constraints.iter().map(|[a, b, _]| a.len() + b.len()).sum::<usize>() + n_public + 1;
    let mut public = Vec::with_capacity((n_public + 1) * 44);
    for s in 0..=n_public {
        push_coef(&mut public, 0, n_c + s, s, Fr::ONE);
    }
    let count_bytes = (count as u32).to_le_bytes();
    let parts: Vec<&[u8]> = std::iter::once(&count_bytes[..]).chain(per_constraint.iter().map(Vec::as_slice)).chain(std::iter::once(public.as_slice())).collect();
    file.section_parts(4, &parts).map_err(io)?;
    drop(parts);
    drop(per_constraint);

    // the terms of every wire's A, B and C/IC points
    let terms = |j: usize| r1cs.constraints.iter().map(|lcs| lcs[j].len()).sum::<usize>();
    let (n_a, n_b, n_c_terms) = (terms(0), terms(1), terms(2));
    let mut a_items = Vec::with_capacity(n_a + n_public + 1);
    let mut b_items = Vec::with_capacity(n_b);
    let mut l_items = Vec::with_capacity(n_a + n_b + n_c_terms + n_public + 1);
    for (c, [a, b, cc]) in r1cs.constraints.iter().enumerate() {
        let row = c as u32;
        for t in a {
            a_items.push(Item { wire: t.wire, kind: TAU, row, coef: t.coef });
            l_items.push(Item { wire: t.wire, kind: BETA_TAU, row, coef: t.coef });
        }
        for t in b {
            b_items.push(Item { wire: t.wire, kind: TAU, row, coef: t.coef });
            l_items.push(Item { wire: t.wire, kind: ALPHA_TAU, row, coef: t.coef });
        }
        for t in cc {
            l_items.push(Item { wire: t.wire, kind: TAU, row, coef: t.coef });
        }
    }
    for s in 0..=n_public {
        let row = (n_c + s) as u32;
        a_items.push(Item { wire: s as u32, kind: TAU, row, coef: scalar_one() });
        l_items.push(Item { wire: s as u32, kind: BETA_TAU, row, coef: scalar_one() });
    }
    drop(r1cs);
    let (a_by, b_by, l_by) = (ByWire::new(a_items, n_vars), ByWire::new(b_items, n_vars), ByWire::new(l_items, n_vars));

    progress("reading the Lagrange bases");
    let level = |size: usize| ((domain - 1) * size) as u64;
    let tau1 = parse_points(&ptau.read(12, level(G1_SIZE), domain * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let tau2 = parse_points(&ptau.read(13, level(G2_SIZE), domain * G2_SIZE)?, G2_SIZE, crate::curve::g2_from_lem);
    let alpha_tau1 = parse_points(&ptau.read(14, level(G1_SIZE), domain * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let beta_tau1 = parse_points(&ptau.read(15, level(G1_SIZE), domain * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let g1_bases: [&[G1Affine]; 3] = [&tau1, &alpha_tau1, &beta_tau1];

    // a point section: written, and hashed in U after its point count
    fn section_of<P: Rpr>(file: &mut SectionWriter, hasher: &mut Blake2b512, id: u32, points: &[P]) -> std::io::Result<()> {
        let (lem, u) = layouts(points);
        hasher.update(u32_be(points.len()));
        hasher.update(&u);
        file.section(id, &lem)
    }

    // 3: IC
    progress("C and IC points");
    let mut l = points_of(&l_by, &g1_bases);
    drop(l_by);
    let c = l.split_off(n_public + 1);
    let ic = l;
    section_of(&mut file, &mut hasher, 3, &ic).map_err(io)?;

    // 9: H, the odd points of the Lagrange level twice the domain
    progress("H points");
    let h = if power < 28 {
        let both = ptau.read(12, ((2 * domain - 1) * G1_SIZE) as u64, 2 * domain * G1_SIZE)?;
        both.chunks_exact(G1_SIZE).skip(1).step_by(2).flatten().copied().collect()
    } else {
        ptau.read(12, (((1usize << (power + 1)) - 1) * G1_SIZE + domain * G1_SIZE) as u64, domain * G1_SIZE)?
    };
    file.section(9, &h).map_err(io)?;
    drop(h);
    hash_h(ptau, domain, h_tail, &mut hasher)?;

    // 8: C (the private wires), 5: A, 6: B in G1, 7: B in G2
    section_of(&mut file, &mut hasher, 8, &c).map_err(io)?;
    drop(c);
    progress("A points");
    let a = points_of(&a_by, &[&tau1]);
    section_of(&mut file, &mut hasher, 5, &a).map_err(io)?;
    drop(a);
    progress("B1 points");
    let b1 = points_of(&b_by, &[&tau1]);
    section_of(&mut file, &mut hasher, 6, &b1).map_err(io)?;
    drop(b1);
    progress("B2 points");
    let b2: Vec<G2Affine> = points_of(&b_by, &[&tau2]);
    section_of(&mut file, &mut hasher, 7, &b2).map_err(io)?;

    let cs_hash: [u8; 64] = hasher.finalize().into();
    let mut contributions = cs_hash.to_vec();
    contributions.extend_from_slice(&[0; 4]);
    file.section(10, &contributions).map_err(io)?;
    progress("writing");
    file.finish().map_err(io)?;
    Ok(NewKey { cs_hash, n_vars, n_public, domain_size: domain })
}

/// snarkjs hashes `tau^(k+n)·G1 − tau^k·G1` (section 2) for the H points, after their count
/// `n − 1`. Its loop reads whole chunks of 2^14, so above that it hashes n points, the last one
/// reading past section 2 when the ptau has exactly the circuit's power (`h_tail`).
fn hash_h(ptau: &mut Ptau, domain: usize, h_tail: Option<&[u8]>, hasher: &mut Blake2b512) -> Result<(), String> {
    hasher.update(u32_be(domain - 1));
    let count = h_hash_count(domain);
    let inside = if h_tail.is_some() { count - 1 } else { count };
    let low = parse_points(&ptau.read(2, 0, inside * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let high = parse_points(&ptau.read(2, (domain * G1_SIZE) as u64, inside * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let diffs: Vec<G1Projective> = low.par_iter().zip(&high).map(|(l, h)| G1Projective::from(*h) - l).collect();
    let mut u = Vec::with_capacity(count * G1_SIZE);
    for p in G1Projective::normalize_batch(&diffs) {
        p.u(&mut u);
    }
    if let Some(t) = h_tail {
        u.extend_from_slice(t);
    }
    hasher.update(&u);
    Ok(())
}

/// The circuit hash as snarkjs prints it (hex).
pub fn hash_hex(h: &[u8; 64]) -> String {
    hex(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::G2Projective;
    use ark_ff::BigInteger;
    use ark_ec::PrimeGroup;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// Terms with ±small, ±64-bit and full-width coefficients, some written unreduced.
    fn terms(rng: &mut StdRng, n: usize) -> Vec<Item> {
        (0..n)
            .map(|i| {
                let k = match i % 5 {
                    0 => Fr::from(rng.gen_range(0u64..600)),
                    1 => -Fr::from(rng.gen_range(1u64..600)),
                    2 => -Fr::from(rng.gen::<u64>()),
                    3 => Fr::from(rng.gen::<u64>()) * Fr::from(rng.gen::<u64>()) * Fr::from(rng.gen::<u64>()),
                    _ => Fr::ONE,
                };
                let mut coef = k.into_bigint();
                if i % 7 == 3 && coef.0[3] < 0x0fff_ffff_ffff_ffff {
                    coef.add_with_carry(&Fr::MODULUS);
                }
                Item { wire: 0, kind: (i % 2) as u8, row: rng.gen_range(0..8), coef }
            })
            .collect()
    }

    #[test]
    fn a_wire_sum_is_the_sum_of_its_terms_on_every_path() {
        let mut rng = StdRng::seed_from_u64(7);
        let g1: Vec<G1Affine> = (1..=16u64).map(|i| (G1Projective::generator() * Fr::from(i * 7919)).into_affine()).collect();
        let g2: Vec<G2Affine> = (1..=16u64).map(|i| (G2Projective::generator() * Fr::from(i * 104729)).into_affine()).collect();
        for n in [1, 4, 11, MSM_MIN_TERMS - 1, MSM_MIN_TERMS, 100] {
            let t = terms(&mut rng, n);
            let want1: G1Projective = t.iter().map(|t| g1[t.kind as usize * 8 + t.row as usize] * field(t.coef)).sum();
            assert_eq!(wire_sum(&t, &[&g1[..8], &g1[8..]]), want1, "G1, {n} terms");
            let want2: G2Projective = t.iter().map(|t| g2[t.kind as usize * 8 + t.row as usize] * field(t.coef)).sum();
            assert_eq!(wire_sum(&t, &[&g2[..8], &g2[8..]]), want2, "G2, {n} terms");
        }
    }
}
