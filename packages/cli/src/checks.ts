// What `verity register` and `verity deploy` refuse before they send anything: pure functions
// of a compiled model's report, the chain id and the chosen parameters (issue 15, attacks 3, 4
// and 6), so the rules are tested without a chain.
import { BaseError } from '@verity/sdk/errors';
import type { CompileReport } from '@verity/zkml';

/** Chain ids of local development chains (anvil and hardhat use 31337, ganache and geth --dev 1337). */
export const DEVNET_CHAIN_IDS: readonly number[] = [31337, 1337];

/** Whether `chainId` is a local development chain, where insecure shortcuts are allowed. */
export function isDevnet(chainId: number): boolean {
  return DEVNET_CHAIN_IDS.includes(chainId);
}

/** ModelRegistry.WeightsPinning: what stops a node from answering with other weights. */
export const WeightsPinning = { None: 0, VerifyingKey: 1, Commitment: 2 } as const;
export type WeightsPinning = (typeof WeightsPinning)[keyof typeof WeightsPinning];
export const WEIGHTS_PINNING_NAMES = ['none', 'verifying key', 'commitment'] as const;

/** ModelRegistry.SetupKind: who made the proving key. */
export const SetupKind = { Dev: 0, Ceremony: 1 } as const;
export type SetupKind = (typeof SetupKind)[keyof typeof SetupKind];
export const SETUP_KIND_NAMES = ['dev', 'ceremony'] as const;

/** A proved model whose weights are free private inputs: a node could answer with any weights and the verifier would accept. */
export class UnpinnedWeightsError extends BaseError {
  override name = 'UnpinnedWeightsError';
  readonly encoding: string;
  constructor({ encoding }: { encoding: string }) {
    super(`A model compiled with --weights ${encoding} cannot be registered: nothing pins its weights, so a node could answer with other weights and the proof would still verify`, {
      details: 'Recompile with the default --weights constant (the weights are circuit constants, pinned by the verifying key) or with --weights committed (secret weights, pinned by the Poseidon commitment the registry stores).',
    });
    this.encoding = encoding;
  }
}

/** A model with the insecure single-party setup, on a chain that is not a devnet, without --allow-dev-setup. */
export class DevSetupError extends BaseError {
  override name = 'DevSetupError';
  readonly chainId: number;
  constructor({ chainId }: { chainId: number }) {
    super(`Refusing to register a model with the insecure dev setup on chain ${chainId}: whoever ran the setup can forge proofs for it`, {
      details: `Import a public ceremony's powers of tau (\`verity setup import-ptau FILE\`), recompile and add phase-2 contributions (\`verity setup contribute\`), or pass --allow-dev-setup if this chain is a test network. Only chains ${DEVNET_CHAIN_IDS.join(' and ')} are treated as devnets.`,
    });
    this.chainId = chainId;
  }
}

/** What the registry records about a compiled model, and what to tell its owner. */
export type RegistrationPolicy = { pinning: WeightsPinning; setup: SetupKind; warning?: string };

/**
 * Decides how a compiled model is registered on chain `chainId`, or refuses it: a model whose
 * weights nothing pins ({@link UnpinnedWeightsError}), a dev-setup model off a devnet unless
 * `allowDevSetup` ({@link DevSetupError}). A dev setup that is allowed comes with a warning.
 *
 * @example
 * const { pinning, setup, warning } = registrationPolicy(compiled.report, { chainId: 11155111, allowDevSetup: false })
 */
export function registrationPolicy(
  report: { weightEncoding?: CompileReport['weightEncoding']; weights?: { commitment: string }; setup: { insecure: boolean; note: string } },
  o: { chainId: number; allowDevSetup?: boolean },
): RegistrationPolicy {
  const encoding = report.weightEncoding ?? 'constant';
  let pinning: WeightsPinning;
  if (encoding === 'constant') pinning = WeightsPinning.VerifyingKey;
  else if (encoding === 'committed' && report.weights?.commitment && BigInt(report.weights.commitment) !== 0n) pinning = WeightsPinning.Commitment;
  else throw new UnpinnedWeightsError({ encoding });
  if (!report.setup.insecure) return { pinning, setup: SetupKind.Ceremony };
  if (isDevnet(o.chainId)) return { pinning, setup: SetupKind.Dev, warning: `warning: ${report.setup.note}` };
  if (!o.allowDevSetup) throw new DevSetupError({ chainId: o.chainId });
  return {
    pinning, setup: SetupKind.Dev,
    warning: [
      '!!! WARNING: INSECURE DEV SETUP ON A NON-DEVNET CHAIN !!!',
      `!!! Chain ${o.chainId}: you passed --allow-dev-setup. Whoever ran this model's setup can forge proofs of any answer.`,
      '!!! The registry records the setup as Dev; requesters and the explorer see "dev setup: insecure". Never use it for real value.',
    ].join('\n'),
  };
}

/** An admin change could take effect before operators can withdraw their stake. */
export class UnsafeAdminDelayError extends BaseError {
  override name = 'UnsafeAdminDelayError';
  readonly adminDelay: bigint;
  readonly unbondingPeriod: bigint;
  readonly chainId: number;
  constructor({ adminDelay, unbondingPeriod, chainId }: { adminDelay: bigint; unbondingPeriod: bigint; chainId: number }) {
    super(`Refusing to deploy on chain ${chainId} with an admin delay of ${formatDuration(adminDelay)} <= the unbonding period of ${formatDuration(unbondingPeriod)}`, {
      details: 'Operators must be able to unbond and leave before an admin change (a new slasher, new slash amounts) takes effect: choose --admin-delay longer than --unbonding.',
    });
    this.adminDelay = adminDelay;
    this.unbondingPeriod = unbondingPeriod;
    this.chainId = chainId;
  }
}

/**
 * Refuses deployment parameters that let the admin act before operators can leave
 * (`adminDelay <= unbondingPeriod`), except on devnets.
 *
 * @example
 * checkDeployParameters({ chainId: 1, adminDelay: 14n * 86_400n, unbondingPeriod: 7n * 86_400n })
 */
export function checkDeployParameters(p: { chainId: number; adminDelay: bigint; unbondingPeriod: bigint }): void {
  if (!isDevnet(p.chainId) && p.adminDelay <= p.unbondingPeriod) throw new UnsafeAdminDelayError(p);
}

/** A duration option that is not a number of seconds or a number with s, m, h or d. */
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

/** A duration in the largest unit that divides it exactly: 604800 -> "7 d". */
export function formatDuration(seconds: bigint): string {
  for (const [unit, size] of [['d', 86_400n], ['h', 3_600n], ['min', 60n]] as const) {
    if (seconds >= size && seconds % size === 0n) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

/** The agreed-mode committee's phase windows, in seconds. */
export type CommitteeWindows = { propose: bigint; commit: bigint; reveal: bigint; appeal: bigint };

/**
 * `--windows propose,commit,reveal,appeal`: four positive durations.
 *
 * @example
 * parseWindows('30m,30m,30m,1d')
 */
export function parseWindows(value: string): CommitteeWindows {
  const parts = value.split(',').map((v) => v.trim());
  if (parts.length !== 4) throw new DurationError({ option: '--windows (propose,commit,reveal,appeal)', value });
  const [propose, commit, reveal, appeal] = parts.map((v) => parseDuration('--windows', v)) as [bigint, bigint, bigint, bigint];
  if ([propose, commit, reveal, appeal].some((w) => w === 0n)) throw new DurationError({ option: '--windows (each window > 0)', value });
  return { propose, commit, reveal, appeal };
}
