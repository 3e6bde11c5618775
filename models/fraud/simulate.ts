// A documented simulation of token trading patterns, for the FraudScreen example.
//
// Each token is described by six features in [0, 1], computed off chain from its trades:
//   topWallet     share of volume from the most active wallet
//   selfTrade     share of volume between wallets funded by the same source
//   concentration share of supply held by the top 10 holders
//   lpRemoved     share of the pool's liquidity the deployer has withdrawn
//   roundTrip     share of volume bought and sold back within one block
//   poolAge       pool age / 90 days, clipped
// Classes: 0 clean, 1 wash trading (volume inflated by self-trades and round trips), 2 rug pull
// (concentrated supply, liquidity pulled from a young pool). Feature ranges per class overlap,
// every feature gets N(0, 0.08) noise and 15% of tokens mix two classes' ranges, so the
// classes are not separable by construction.
import { gaussian } from '../lib/train.js';

export const FRAUD_CLASSES = ['clean', 'wash-trading', 'rug-pull'] as const;
export const FRAUD_FEATURES = ['topWallet', 'selfTrade', 'concentration', 'lpRemoved', 'roundTrip', 'poolAge'] as const;

/** [min, max] of each feature per class, in FRAUD_FEATURES order. */
const RANGES: [number, number][][] = [
  [[0.02, 0.3], [0, 0.15], [0.1, 0.55], [0, 0.15], [0, 0.15], [0.15, 1]],
  [[0.25, 0.8], [0.25, 0.9], [0.2, 0.65], [0, 0.2], [0.25, 0.9], [0.05, 1]],
  [[0.1, 0.5], [0, 0.25], [0.55, 1], [0.45, 1], [0, 0.25], [0, 0.25]],
];

export type Token = { features: number[]; label: number };

export function simulateTokens(n: number, rand: () => number): Token[] {
  return Array.from({ length: n }, () => {
    const label = Math.floor(rand() * 3);
    const other = rand() < 0.15 ? Math.floor(rand() * 3) : label;
    const features = RANGES[label]!.map(([lo, hi], f) => {
      const [a, b] = rand() < 0.5 ? [lo, hi] : RANGES[other]![f]!;
      return Math.max(0, Math.min(1, a + (b - a) * rand() + 0.08 * gaussian(rand)));
    });
    return { features, label };
  });
}
