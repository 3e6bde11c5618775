import { readFileSync } from 'node:fs';
import { encodeFunctionData, type Abi, type Hex, type PublicClient } from 'viem';
import { committeeAbi, getLogsBounded, isDevnet, registerProvedModel, toSolidityProof, type SnarkjsProof, type VerityAddresses, type VersionSpec, type Wallet } from '@verity/sdk';
import { BaseError } from '@verity/errors';
import type { CompiledModel, VerifierBuild } from '@verity/zkml';

/**
 * Deploys a compiled model's verifier and registers the model in proved mode, owned by
 * `wallet` (the sdk's `registerProvedModel`, which refuses unpinned weights, uncommitted
 * inputs, and a dev setup off a devnet unless `allowDevSetup`, before anything is sent).
 * Returns the model id, the verifier's address and build, the registered version spec, and a
 * warning to print when the setup is the insecure dev one (a loud one off a devnet).
 *
 * @example
 * const { modelId, warning } = await registerCompiled(publicClient, owner, { registry: addresses.registry, compiled, name: 'credit-score', fee: 10n ** 15n })
 */
export async function registerCompiled(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Hex; compiled: CompiledModel; name: string; fee: bigint; allowDevSetup?: boolean },
): Promise<{ modelId: Hex; verifier: Hex; build: VerifierBuild; spec: VersionSpec; warning?: string }> {
  const build = JSON.parse(readFileSync(p.compiled.path('verifierBuild'), 'utf8')) as VerifierBuild;
  const { modelId, verifier, spec } = await registerProvedModel(publicClient, wallet, {
    registry: p.registry, name: p.name, fee: p.fee, report: p.compiled.report, verifierBuild: build, allowDevSetup: p.allowDevSetup,
  });
  return { modelId, verifier, build, spec, warning: spec.setup === 'Dev' ? devSetupWarning(await publicClient.getChainId(), p.compiled.report.setup.note) : undefined };
}

/** What to tell the owner of a model registered with the dev setup: a plain warning on a devnet, a loud one elsewhere. */
export function devSetupWarning(chainId: number, note: string): string {
  if (isDevnet(chainId)) return `warning: ${note}`;
  return [
    '!!! WARNING: INSECURE DEV SETUP ON A NON-DEVNET CHAIN !!!',
    `!!! Chain ${chainId}, --allow-dev-setup: whoever ran this model's setup can forge proofs of any answer.`,
    '!!! The registry records the setup as Dev; requesters and the explorer see "dev setup: insecure". Never use it for real value.',
  ].join('\n');
}

/** How `verity request` and `verity register` name a model's weights pinning (ModelRegistry.WeightsPinning, by index). */
export const PINNING_NAMES = ['nothing', 'the verifying key', 'the weights commitment'] as const;

/** A deployed verifier refused a proof the model's own key accepts: the verifier is not this model's. */
export class ProofRejectedError extends BaseError {
  override name = 'ProofRejectedError';
  readonly verifier: Hex;
  constructor({ verifier }: { verifier: Hex }) {
    super(`the proof does not verify against the verifier at ${verifier}`);
    this.verifier = verifier;
  }
}

/**
 * Verification gas as a transaction receipt reports it: a transaction straight to the
 * verifier with a proof that is first checked to be valid (a snarkjs verifier short of gas
 * returns false instead of reverting, so gas estimates are not trusted).
 */
export async function measureVerifyGas(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { verifier: Hex; build: VerifierBuild; proof: SnarkjsProof; publicSignals: readonly string[] },
): Promise<bigint> {
  const s = toSolidityProof(p.proof);
  const args = [[s[0], s[1]], [[s[2], s[3]], [s[4], s[5]]], [s[6], s[7]], p.publicSignals.map(BigInt)];
  const data = encodeFunctionData({ abi: p.build.abi as Abi, functionName: 'verifyProof', args });
  const { data: ok } = await publicClient.call({ to: p.verifier, data });
  if (!ok || BigInt(ok) !== 1n) throw new ProofRejectedError({ verifier: p.verifier });
  const hash = await wallet.sendTransaction({ to: p.verifier, data, gas: 2_000_000n });
  return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
}

/** The Committee's events about one request: those whose first argument is the indexed request id. */
const REQUEST_EVENTS = committeeAbi.flatMap((x) => (x.type === 'event' && x.inputs[0]?.name === 'requestId' && x.inputs[0].indexed ? [x.name] : []));

/**
 * Gas of every transaction an agreed-mode request took: the request, and each Committee
 * transaction that touched it (draws, propose, commits, reveals, advances, appeals,
 * finalisation), read in bounded ranges from the request's block.
 */
export async function agreedRequestGas(publicClient: PublicClient, addresses: VerityAddresses, requestId: bigint, requestTx: Hex): Promise<{ gas: bigint; transactions: number; calls: { hash: Hex; gas: bigint }[] }> {
  const { blockNumber: fromBlock } = await publicClient.getTransactionReceipt({ hash: requestTx });
  const toBlock = await publicClient.getBlockNumber({ cacheTime: 0 });
  const hashes = new Set<Hex>([requestTx]);
  for (const eventName of REQUEST_EVENTS) {
    const logs = await getLogsBounded(publicClient, { address: addresses.committee!, abi: committeeAbi, eventName, args: { requestId } as never, fromBlock, toBlock });
    for (const l of logs) hashes.add(l.transactionHash);
  }
  const calls = [];
  for (const hash of hashes) calls.push({ hash, gas: (await publicClient.getTransactionReceipt({ hash })).gasUsed });
  return { gas: calls.reduce((a, c) => a + c.gas, 0n), transactions: hashes.size, calls };
}
