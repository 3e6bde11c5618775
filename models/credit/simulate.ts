// A documented simulation of borrowers' on-chain records, for the CreditLine example.
//
// No package ships real lending histories, so the credit model learns from this simulation:
// - each borrower has a latent reliability r = sigmoid(1.2 + 1.5 z), z ~ N(0, 1) (mean 0.74);
// - the account is U(0, 730) days old and takes loans at U(0.2, 2) per 30 days;
// - each past loan (size lognormal, median 0.22 ETH) was repaid with probability r, otherwise
//   liquidated;
// - the label is whether the borrower repays the next loan: Bernoulli(r).
// The record a borrower shows is exactly what CreditLine.sol keeps on chain: loans repaid,
// volume repaid, age, liquidations.
import { gaussian } from '../lib/train.js';

/** What CreditLine keeps per borrower (volume in ETH, age in days). */
export type CreditRecord = { repaid: number; volumeEth: number; ageDays: number; liquidations: number };

/** Caps that map a record to [0, 1] features: the same constants as CreditLine.sol. */
export const CREDIT_CAPS = { repaid: 20, volumeEth: 10, ageDays: 365, liquidations: 5 } as const;

/** Model input: each field divided by its cap and clipped to [0, 1] (what the contract computes). */
export function creditFeatures(r: CreditRecord): number[] {
  return (Object.keys(CREDIT_CAPS) as (keyof CreditRecord)[]).map((k) => Math.min(r[k], CREDIT_CAPS[k]) / CREDIT_CAPS[k]);
}

export type SimulatedBorrower = { record: CreditRecord; reliability: number; repaysNext: boolean };

export function simulateBorrowers(n: number, rand: () => number): SimulatedBorrower[] {
  return Array.from({ length: n }, () => {
    const reliability = 1 / (1 + Math.exp(-(1.2 + 1.5 * gaussian(rand))));
    const ageDays = rand() * 730;
    const loans = Math.floor((ageDays / 30) * (0.2 + 1.8 * rand()));
    const record: CreditRecord = { repaid: 0, volumeEth: 0, ageDays, liquidations: 0 };
    for (let i = 0; i < loans; i++) {
      const size = Math.exp(-1.5 + 0.8 * gaussian(rand));
      if (rand() < reliability) {
        record.repaid++;
        record.volumeEth += size;
      } else {
        record.liquidations++;
      }
    }
    return { record, reliability, repaysNext: rand() < reliability };
  });
}
