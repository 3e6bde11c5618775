//! snarkjs's R1CS-to-QAP witness map. snarkjs's H points are the odd powers' Lagrange bases
//! of a domain twice the size, so the prover evaluates A·B − C on the coset ω₂ₙ·D rather than
//! dividing by Z on D as arkworks' default (libsnark) reduction does. A proof made with the
//! default reduction and a snarkjs key would not verify.
//! After ark-circom's `CircomReduction` (MIT/Apache-2.0), with C = A∘B on every row, as snarkjs.
use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use ark_relations::utils::matrix::Matrix;
use rayon::prelude::*;

pub struct SnarkjsReduction;

impl R1CSToQAP for SnarkjsReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    /// `matrices` are A and B with one row per domain point (see `Zkey`); `num_constraints`
    /// is the domain size.
    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        _num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let domain = D::new(num_constraints).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let eval = |m: &Matrix<F>| -> Vec<F> {
            let mut v: Vec<F> = m.par_iter().map(|row| evaluate_constraint(row, full_assignment)).collect();
            v.resize(n, F::zero());
            v
        };
        let (mut a, mut b) = rayon::join(|| eval(&matrices[0]), || eval(&matrices[1]));
        let mut c: Vec<F> = a.par_iter().zip(&b).map(|(x, y)| *x * y).collect();

        let shift = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?.element(1);
        let to_coset = |v: &mut Vec<F>| {
            domain.ifft_in_place(v);
            D::distribute_powers_and_mul_by_const(v, shift, F::one());
            domain.fft_in_place(v);
        };
        rayon::join(|| rayon::join(|| to_coset(&mut a), || to_coset(&mut b)), || to_coset(&mut c));
        a.par_iter_mut().zip(&b).zip(&c).for_each(|((x, y), z)| *x = *x * y - z);
        Ok(a)
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(max_power: usize, t: F, _zt: F, delta_inverse: F) -> Result<Vec<F>, SynthesisError> {
        let mut scalars: Vec<F> = (0..2 * max_power + 1).into_par_iter().map(|i| delta_inverse * t.pow([i as u64])).collect();
        let domain = D::new(scalars.len()).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        domain.ifft_in_place(&mut scalars);
        Ok(scalars.into_par_iter().skip(1).step_by(2).collect())
    }
}
