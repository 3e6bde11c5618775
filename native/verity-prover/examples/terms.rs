use ark_ff::{BigInteger, PrimeField};
use std::collections::{HashMap, HashSet};
use verity_prover::r1cs::R1cs;
fn main() {
    let r = R1cs::parse(&std::fs::read(std::env::args().nth(1).unwrap()).unwrap()).unwrap();
    for m in 0..3 {
        let mut pairs = HashSet::new(); let mut vals: HashMap<[u64;4], usize> = HashMap::new(); let mut n = 0; let mut full = 0;
        let mut row_terms = HashMap::new();
        for (ci, c) in r.constraints.iter().enumerate() { for t in &c[m] {
            n += 1; pairs.insert((t.wire, t.coef.0));
            *row_terms.entry(ci).or_insert(0usize) += 1;
            let v = ark_bn254::Fr::from_bigint(t.coef).unwrap(); let neg = (-v).into_bigint();
            let mag = if neg < t.coef { neg } else { t.coef };
            if mag.num_bits() > 64 { full += 1; *vals.entry(mag.0).or_insert(0) += 1; }
        } }
        let mut top: Vec<_> = vals.values().copied().collect(); top.sort(); top.reverse();
        println!("m{m}: terms {n} distinct (wire,coef) {} full {full} distinct full values {} top counts {:?} rows {}", pairs.len(), vals.len(), &top[..top.len().min(8)], row_terms.len());
    }
}
