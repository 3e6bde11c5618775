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
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInt, Field, PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;
use crate::binfile::write_sections;

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

/// Terms grouped by basis point (kind, row): each group multiplies one point by many scalars.
struct ByRow {
    items: Vec<Item>,
    bounds: Vec<usize>,
}

impl ByRow {
    fn new(mut items: Vec<Item>) -> ByRow {
        items.par_sort_unstable_by_key(|t| (t.kind, t.row));
        let mut bounds = vec![0];
        for i in 1..items.len() {
            if (items[i].kind, items[i].row) != (items[i - 1].kind, items[i - 1].row) {
                bounds.push(i);
            }
        }
        bounds.push(items.len());
        ByRow { items, bounds }
    }
}

fn scalar_one() -> BigInt<4> {
    BigInt([1, 0, 0, 0])
}

/// A row builds a table when it has at least this many terms with large scalars.
const TABLE_MIN_TERMS: usize = 4;
/// Signed 4-bit windows covering a 128-bit GLV half and its carry.
const WINDOWS: usize = 33;

/// d·16^j·P and its endomorphism image for d = 1..8, j < 33: with GLV, k·P is then two
/// 128-bit halves of about 30 mixed additions each, and no doublings.
struct Table<P: SWCurveConfig> {
    t: Vec<Affine<P>>,
    e: Vec<Affine<P>>,
}

impl<P: SWCurveConfig<ScalarField = Fr> + GLVConfig> Table<P> {
    fn new(p: Affine<P>) -> Self {
        let mut proj = Vec::with_capacity(WINDOWS * 8);
        let mut base = Projective::<P>::from(p);
        for _ in 0..WINDOWS {
            let mut x = base;
            proj.push(x);
            for _ in 1..8 {
                x += base;
                proj.push(x);
            }
            for _ in 0..4 {
                base.double_in_place();
            }
        }
        let t = Projective::<P>::normalize_batch(&proj);
        let e = t.iter().map(P::endomorphism_affine).collect();
        Table { t, e }
    }

    /// acc += k·P; false (nothing added) if a GLV half is wider than 128 bits.
    fn mul_into(&self, k: Fr, acc: &mut Projective<P>) -> bool {
        let ((s1, k1), (s2, k2)) = P::scalar_decomposition(k);
        let (k1, k2) = (k1.into_bigint().0, k2.into_bigint().0);
        if k1[2] | k1[3] | k2[2] | k2[3] != 0 {
            return false;
        }
        for (positive, limbs, table) in [(s1, k1, &self.t), (s2, k2, &self.e)] {
            let v = limbs[0] as u128 | (limbs[1] as u128) << 64;
            let mut carry = 0u32;
            for j in 0..WINDOWS {
                let nib = if j < 32 { ((v >> (4 * j)) & 15) as u32 } else { 0 } + carry;
                let (d, neg) = if nib > 8 { (16 - nib, true) } else { (nib, false) };
                carry = u32::from(nib > 8);
                if d != 0 {
                    let q = table[j * 8 + d as usize - 1];
                    if positive ^ neg {
                        *acc += q;
                    } else {
                        *acc -= q;
                    }
                }
            }
        }
        true
    }
}

/// A scalar of at most 48 bits, or the negative of one: (negative, magnitude).
fn small(k: Fr) -> Option<(bool, u64)> {
    let (plus, minus) = (k.into_bigint(), (-k).into_bigint());
    let fits = |b: BigInt<4>| b.0[1..] == [0, 0, 0] && b.0[0] < 1 << 48;
    if fits(plus) {
        Some((false, plus.0[0]))
    } else if fits(minus) {
        Some((true, minus.0[0]))
    } else {
        None
    }
}

/// Adds one basis point's terms to their wires' sums.
fn row_into<P: SWCurveConfig<ScalarField = Fr> + GLVConfig>(terms: &[Item], bases: &[&[Affine<P>]], acc: &mut [Projective<P>]) {
    let p = bases[terms[0].kind as usize][terms[0].row as usize];
    let scalars: Vec<(usize, Fr, Option<(bool, u64)>)> = terms
        .iter()
        .map(|t| {
            let k = Fr::from_bigint(t.coef).unwrap_or_else(|| Fr::from_le_bytes_mod_order(&modulus_bytes(t.coef)));
            (t.wire as usize, k, small(k))
        })
        .collect();
    let large = scalars.iter().filter(|s| s.2.is_none()).count();
    let table = (large >= TABLE_MIN_TERMS).then(|| Table::new(p));
    for (w, k, s) in scalars {
        match s {
            // circuits are full of small constants and their negatives: double-and-add
            Some((true, v)) => acc[w] -= small_mul(p, v),
            Some((false, v)) => acc[w] += small_mul(p, v),
            None => {
                if !table.as_ref().is_some_and(|t| t.mul_into(k, &mut acc[w])) {
                    acc[w] += P::glv_mul_projective(p.into(), k);
                }
            }
        }
    }
}

/// `k·p` for a one-limb k, by double-and-add.
fn small_mul<P: SWCurveConfig>(p: Affine<P>, k: u64) -> Projective<P> {
    let mut acc = Projective::<P>::zero();
    for i in (0..64 - k.leading_zeros()).rev() {
        acc.double_in_place();
        if (k >> i) & 1 == 1 {
            acc += p;
        }
    }
    acc
}

/// Every wire's Σ coef·basis[kind][row], in affine form: basis points in parallel, each
/// worker summing into its own copy of the wires, the copies added at the end.
fn points_of<P: SWCurveConfig<ScalarField = Fr> + GLVConfig>(rows: &ByRow, n_wires: usize, bases: &[&[Affine<P>]]) -> Vec<Affine<P>> {
    let groups = rows.bounds.len() - 1;
    let per_worker = groups.div_ceil(2 * rayon::current_num_threads()).max(1);
    let sums = rows
        .bounds
        .par_windows(2)
        .with_min_len(per_worker)
        .fold(
            || vec![Projective::<P>::zero(); n_wires],
            |mut acc, b| {
                if b[1] > b[0] {
                    row_into(&rows.items[b[0]..b[1]], bases, &mut acc);
                }
                acc
            },
        )
        .reduce_with(|mut a, b| {
            a.par_iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        })
        .unwrap_or_else(|| vec![Projective::<P>::zero(); n_wires]);
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
/// required when there is one. `progress` gets a short label per step.
pub fn new_zkey(r1cs: &R1cs, ptau: &mut Ptau, out: &str, h_tail: Option<&[u8]>, progress: &mut dyn FnMut(&str)) -> Result<NewKey, String> {
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
    let mut sections: Vec<(u32, Vec<u8>)> = vec![(1, 1u32.to_le_bytes().to_vec())];

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
    sections.push((2, header));

    // 4: the A and B coefficients, value·R² (so a reader's two Montgomery conversions give it)
    progress("coefficients");
    let r2 = Fr::from(2u64).pow([512]);
    let mut coefs = Vec::new();
    let push_coef = |coefs: &mut Vec<u8>, m: u32, c: usize, s: usize, v: Fr| {
        coefs.extend_from_slice(&m.to_le_bytes());
        le32(coefs, c);
        le32(coefs, s);
        coefs.extend(modulus_bytes((v * r2).into_bigint()));
    };
    let mut count = 0usize;
    coefs.extend_from_slice(&[0; 4]);
    for (c, [a, b, _]) in r1cs.constraints.iter().enumerate() {
        for (m, lc) in [(0u32, a), (1, b)] {
            for t in lc {
                push_coef(&mut coefs, m, c, t.wire as usize, Fr::from_le_bytes_mod_order(&modulus_bytes(t.coef)));
                count += 1;
            }
        }
    }
    for s in 0..=n_public {
        push_coef(&mut coefs, 0, n_c + s, s, Fr::ONE);
        count += 1;
    }
    coefs[..4].copy_from_slice(&(count as u32).to_le_bytes());
    sections.push((4, coefs));

    // the terms of every wire's A, B and C/IC points
    let mut a_items = Vec::new();
    let mut b_items = Vec::new();
    let mut l_items = Vec::new();
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
    let (a_by, b_by, l_by) = (ByRow::new(a_items), ByRow::new(b_items), ByRow::new(l_items));

    progress("reading the Lagrange bases");
    let level = |size: usize| ((domain - 1) * size) as u64;
    let tau1 = parse_points(&ptau.read(12, level(G1_SIZE), domain * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let tau2 = parse_points(&ptau.read(13, level(G2_SIZE), domain * G2_SIZE)?, G2_SIZE, crate::curve::g2_from_lem);
    let alpha_tau1 = parse_points(&ptau.read(14, level(G1_SIZE), domain * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let beta_tau1 = parse_points(&ptau.read(15, level(G1_SIZE), domain * G1_SIZE)?, G1_SIZE, crate::curve::g1_from_lem);
    let g1_bases: [&[G1Affine]; 3] = [&tau1, &alpha_tau1, &beta_tau1];

    // a point section: written, and hashed in U after its point count
    fn section_of<P: Rpr>(sections: &mut Vec<(u32, Vec<u8>)>, hasher: &mut Blake2b512, id: u32, points: &[P]) {
        let (lem, u) = layouts(points);
        hasher.update(u32_be(points.len()));
        hasher.update(&u);
        sections.push((id, lem));
    }

    // 3: IC
    progress("C and IC points");
    let mut l = points_of(&l_by, n_vars, &g1_bases);
    drop(l_by);
    let c = l.split_off(n_public + 1);
    let ic = l;
    section_of(&mut sections, &mut hasher, 3, &ic);

    // 9: H, the odd points of the Lagrange level twice the domain
    progress("H points");
    let h = if power < 28 {
        let both = ptau.read(12, ((2 * domain - 1) * G1_SIZE) as u64, 2 * domain * G1_SIZE)?;
        both.chunks_exact(G1_SIZE).skip(1).step_by(2).flatten().copied().collect()
    } else {
        ptau.read(12, (((1usize << (power + 1)) - 1) * G1_SIZE + domain * G1_SIZE) as u64, domain * G1_SIZE)?
    };
    sections.push((9, h));
    hash_h(ptau, domain, h_tail, &mut hasher)?;

    // 8: C (the private wires), 5: A, 6: B in G1, 7: B in G2
    section_of(&mut sections, &mut hasher, 8, &c);
    progress("A points");
    let a = points_of(&a_by, n_vars, &[&tau1]);
    section_of(&mut sections, &mut hasher, 5, &a);
    progress("B1 points");
    let b1 = points_of(&b_by, n_vars, &[&tau1]);
    section_of(&mut sections, &mut hasher, 6, &b1);
    progress("B2 points");
    let b2: Vec<G2Affine> = points_of(&b_by, n_vars, &[&tau2]);
    section_of(&mut sections, &mut hasher, 7, &b2);

    let cs_hash: [u8; 64] = hasher.finalize().into();
    let mut contributions = cs_hash.to_vec();
    contributions.extend_from_slice(&[0; 4]);
    sections.push((10, contributions));
    progress("writing");
    write_sections(out, &sections.iter().map(|(id, b)| (*id, b.as_slice())).collect::<Vec<_>>()).map_err(|e| format!("writing {out}: {e}"))?;
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
