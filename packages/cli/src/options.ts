// `verity deploy`'s durations and committee windows, parsed from the command line.
import { BaseError } from '@verity/errors';

/** A duration option that is not a number of seconds or a whole number with s, m, h or d. */
export class DurationError extends BaseError {
  override name = 'DurationError';
  readonly option: string;
  readonly value: string;
  constructor({ option, value }: { option: string; value: string }) {
    super(`${option} takes a duration such as 3600, 90s, 30m, 1h or 7d; got "${value}"`);
    this.option = option;
    this.value = value;
  }
}

const UNITS: Record<string, bigint> = { '': 1n, s: 1n, m: 60n, h: 3_600n, d: 86_400n };

/**
 * Seconds in a duration: plain seconds or a whole number with a unit (s, m, h, d).
 *
 * @example
 * parseDuration('--unbonding', '7d') // 604800n
 */
export function parseDuration(option: string, value: string): bigint {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw new DurationError({ option, value });
  return BigInt(m[1]!) * UNITS[m[2]!]!;
}

/**
 * A duration in the largest unit that divides it exactly.
 *
 * @example
 * formatDuration(604800n) // '7 d'
 */
export function formatDuration(seconds: bigint): string {
  for (const [unit, size] of [['d', 86_400n], ['h', 3_600n], ['min', 60n]] as const) {
    if (seconds >= size && seconds % size === 0n) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

/** The agreed-mode committee's phase windows, in seconds (as `deployVerity`'s `committee.windows` takes them). */
export type CommitteeWindows = { propose: number; commit: number; reveal: number; appeal: number };

/**
 * `--windows propose,commit,reveal,appeal`: four positive durations.
 *
 * @example
 * parseWindows('30m,30m,30m,1d') // { propose: 1800, commit: 1800, reveal: 1800, appeal: 86400 }
 */
export function parseWindows(value: string): CommitteeWindows {
  const option = '--windows (propose,commit,reveal,appeal)';
  const parts = value.split(',');
  let seconds: bigint[] = [];
  try {
    seconds = parts.map((v) => parseDuration(option, v));
  } catch {
    // named below with the whole value, not the one bad part
  }
  if (seconds.length !== 4 || seconds.some((w) => w === 0n)) throw new DurationError({ option, value });
  const [propose, commit, reveal, appeal] = seconds as [bigint, bigint, bigint, bigint];
  return { propose: Number(propose), commit: Number(commit), reveal: Number(reveal), appeal: Number(appeal) };
}

/**
 * An option whose value is not one the command takes (a word where a number goes, a bit width
 * the compiler does not have).
 *
 * @example
 * throw new OptionValueError({ option: '--input-bits', value: '12', expected: '8 or 16' })
 */
export class OptionValueError extends BaseError {
  override name = 'OptionValueError';
  readonly option: string;
  readonly value: string;
  /** what the option takes, in words */
  readonly expected: string;
  constructor({ option, value, expected }: { option: string; value: string; expected: string }) {
    super(`${option} takes ${expected}; got "${value}"`);
    this.option = option;
    this.value = value;
    this.expected = expected;
  }
}

/**
 * A whole-number option between `min` and `max` (or one of `allowed`); undefined when not given.
 *
 * @example
 * parseIntegerOption('--input-bits', '16', { allowed: [8, 16] }) // 16
 */
export function parseIntegerOption(option: string, value: string | undefined, o: { min?: number; max?: number; allowed?: readonly number[] } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const { min = 1, max = Number.MAX_SAFE_INTEGER, allowed } = o;
  const ok = /^\d+$/.test(value.trim()) && (allowed ? allowed.includes(n) : n >= min && n <= max);
  if (!ok) throw new OptionValueError({ option, value, expected: allowed ? allowed.join(' or ') : max === Number.MAX_SAFE_INTEGER ? `a whole number from ${min}` : `a whole number from ${min} to ${max}` });
  return n;
}

/**
 * A percentage above 0 and below 100, returned as a fraction; undefined when not given.
 *
 * @example
 * parsePercentOption('--tolerance', '1') // 0.01
 */
export function parsePercentOption(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0 && n < 100)) throw new OptionValueError({ option, value, expected: 'a percentage above 0 and below 100 (1 for 1%)' });
  return n / 100;
}

/**
 * A non-negative integer option as a bigint (decimal or 0x hex), such as a request binding.
 *
 * @example
 * parseBigIntOption('--binding', '0x2a') // 42n
 */
export function parseBigIntOption(option: string, value: string): bigint {
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(value.trim())) throw new OptionValueError({ option, value, expected: 'a non-negative integer (decimal or 0x hex)' });
  return BigInt(value.trim());
}
