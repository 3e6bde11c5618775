// A documented simulation of a market, for the SignalVault example.
//
// Per-period returns (in basis points) follow a regime-switching AR(1) process:
//   r_t = drift(regime) + 0.3 r_{t-1} + 150 z,  z ~ N(0, 1),
// with regimes bull (+40 bp), sideways (0) and bear (-40 bp), switching with probability 0.03 a
// period. The model sees the last 8 returns the vault recorded on chain and predicts the mean
// of the next 4, so it has to infer the regime from noisy momentum.
import { gaussian } from '../lib/train.js';

export const WINDOW = 8;
export const HORIZON = 4;
/** Returns are clipped to +-1000 bp and divided by 1000 (what SignalVault.sol computes). */
export const RETURN_CAP_BP = 1000;
/** The model's output is the mean next return in units of 100 bp. */
export const SIGNAL_UNIT_BP = 100;

/** Model input from the last WINDOW + 1 prices: each period's return in bp / 1000, clipped. */
export function signalFeatures(prices: readonly number[]): number[] {
  if (prices.length !== WINDOW + 1) throw new Error(`signalFeatures takes ${WINDOW + 1} prices`);
  return prices.slice(1).map((p, i) => {
    const bp = Math.trunc(((p - prices[i]!) * 10_000) / prices[i]!);
    return Math.max(-RETURN_CAP_BP, Math.min(RETURN_CAP_BP, bp)) / RETURN_CAP_BP;
  });
}

/** A simulated return series (bp) and the regime of each period (1 bull, 0 sideways, -1 bear). */
export function simulateMarket(periods: number, rand: () => number): { returns: number[]; regimes: number[] } {
  const returns: number[] = [];
  const regimes: number[] = [];
  let regime = 0;
  let prev = 0;
  for (let t = 0; t < periods; t++) {
    if (rand() < 0.03) regime = [1, 0, -1][Math.floor(rand() * 3)]!;
    prev = 40 * regime + 0.3 * prev + 150 * gaussian(rand);
    returns.push(prev);
    regimes.push(regime);
  }
  return { returns, regimes };
}

/** Prices from returns, starting at `start`. */
export function pricesFrom(returns: readonly number[], start: number): number[] {
  const prices = [start];
  for (const r of returns) prices.push(Math.round(prices.at(-1)! * (1 + r / 10_000)));
  return prices;
}

/** Windows of the series: features and the target (mean of the next HORIZON returns / 100 bp). */
export function windows(returns: readonly number[]): { x: number[]; y: number }[] {
  const out: { x: number[]; y: number }[] = [];
  for (let t = WINDOW; t + HORIZON <= returns.length; t++) {
    const x = returns.slice(t - WINDOW, t).map((r) => Math.max(-RETURN_CAP_BP, Math.min(RETURN_CAP_BP, Math.trunc(r))) / RETURN_CAP_BP);
    const y = returns.slice(t, t + HORIZON).reduce((a, b) => a + b, 0) / HORIZON / SIGNAL_UNIT_BP;
    out.push({ x, y });
  }
  return out;
}
