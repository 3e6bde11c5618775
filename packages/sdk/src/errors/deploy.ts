import { BaseError } from '@verity/errors';

/** Chain ids of local development chains (anvil, hardhat, ganache): the only chains where the sdk's devnet shortcuts apply. */
export const DEVNET_CHAIN_IDS: readonly number[] = [31337, 1337];

/** Whether `chainId` is a local development chain ({@link DEVNET_CHAIN_IDS}). */
export const isDevnet = (chainId: number): boolean => DEVNET_CHAIN_IDS.includes(chainId);

/**
 * The admin delay is not longer than the unbonding period on a chain that is not a devnet:
 * operators could not unbond and leave before a change they object to takes effect.
 *
 * @example
 * try { await deployVerity(publicClient, wallet, { adminDelay: 3600n }) } catch (e) { if (e instanceof AdminDelayError) console.error(e.adminDelay, e.unbondingPeriod) }
 */
export class AdminDelayError extends BaseError {
  override name = 'AdminDelayError';
  readonly adminDelay: bigint;
  readonly unbondingPeriod: bigint;
  readonly chainId: number;
  constructor({ adminDelay, unbondingPeriod, chainId }: { adminDelay: bigint; unbondingPeriod: bigint; chainId: number }) {
    super(`adminDelay ${adminDelay} s must be longer than unbondingPeriod ${unbondingPeriod} s on chain ${chainId}`, {
      details: 'Every admin change waits adminDelay; operators must be able to unbond and withdraw before a change they object to applies (docs/SECURITY.md). Only devnets (chain id 31337 or 1337) may use shorter delays.',
    });
    this.adminDelay = adminDelay;
    this.unbondingPeriod = unbondingPeriod;
    this.chainId = chainId;
  }
}

/**
 * A proved model whose weights nothing pins (compiled with `--weights signals`): any node could
 * answer with other weights and its proof would verify. Compile with `--weights constant` (the
 * default) or `--weights committed`.
 *
 * @example
 * try { await registerProvedModel(publicClient, wallet, p) } catch (e) { if (e instanceof UnpinnedWeightsError) console.error(e.encoding) }
 */
export class UnpinnedWeightsError extends BaseError {
  override name = 'UnpinnedWeightsError';
  readonly encoding: string;
  constructor({ encoding }: { encoding: string }) {
    super(`A model compiled with --weights ${encoding} cannot be registered: nothing pins its weights`, {
      details: 'Its weights are free private inputs of the proof, so a node could answer with any weights. Compile with --weights constant (the verifying key pins them) or --weights committed (the registry pins their commitment).',
    });
    this.encoding = encoding;
  }
}

/**
 * A model whose proving key comes from the insecure single-party dev setup, registered on a
 * chain that is not a devnet without `allowDevSetup: true`: whoever ran the setup can forge proofs.
 *
 * @example
 * await registerProvedModel(publicClient, wallet, { ...p, allowDevSetup: true }) // an explicit choice, recorded on chain as SetupKind.Dev
 */
export class DevSetupError extends BaseError {
  override name = 'DevSetupError';
  readonly chainId: number;
  constructor({ chainId }: { chainId: number }) {
    super(`The model's proving key comes from the insecure dev setup; chain ${chainId} is not a devnet`, {
      details: 'Whoever ran a single-party setup could forge proofs. Use a ceremony (`verity setup import-ptau`, then `verity setup contribute`) or pass allowDevSetup: true (the registry records the setup as Dev for everyone to see).',
    });
    this.chainId = chainId;
  }
}

/** A compiled model whose proofs the Coprocessor cannot bind to a request (input not committed). */
export class UnsupportedVisibilityError extends BaseError {
  override name = 'UnsupportedVisibilityError';
  readonly visibility: string;
  constructor({ visibility }: { visibility: string }) {
    super(`A model compiled with --input ${visibility} cannot be registered with the Coprocessor`, {
      details: 'The Coprocessor binds each request to its input by the Poseidon commitment: compile with --input committed (the default). Public and private inputs are for proofs verified off chain or by your own verifier contract.',
    });
    this.visibility = visibility;
  }
}
