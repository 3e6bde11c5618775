import { BaseError } from '@verity/sdk/errors';
import { readFileSync } from 'node:fs';
import { encodeFunctionData, parseEventLogs, type Abi, type Hex, type PublicClient } from 'viem';
import { committeeAbi, deploy, modelRegistryAbi, Mode, toSolidityProof, type SnarkjsProof, type VerityAddresses, type Wallet } from '@verity/sdk';
import type { CompiledModel, VerifierBuild } from '@verity/zkml';
import { registrationPolicy, type RegistrationPolicy } from './checks.js';

/** A compiled model whose proofs the Coprocessor cannot bind to a request. */
export class UnsupportedVisibilityError extends BaseError {
  override name = 'UnsupportedVisibilityError';
  constructor({ visibility }: { visibility: string }) {
    super(`A model compiled with --input ${visibility} cannot be registered with the Coprocessor`, {
      details: 'The Coprocessor binds each request to its input by the Poseidon commitment: compile with --input committed (the default). Public and private inputs are for proofs verified off chain or by your own verifier contract.',
    });
  }
}

/**
 * Deploys a compiled model's verifier and registers the model in proved mode, owned by
 * `wallet`, with the weights pinning and setup kind {@link registrationPolicy} decides for the
 * chain (it refuses unpinned weights, and a dev setup off a devnet unless `allowDevSetup`,
 * before anything is sent). Returns the model id, the verifier's address and build, and the policy.
 *
 * @example
 * const { modelId, policy } = await registerCompiled(publicClient, owner, { registry: addresses.registry, compiled, name: 'credit-score', fee: 10n ** 15n })
 */
export async function registerCompiled(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Hex; compiled: CompiledModel; name: string; fee: bigint; allowDevSetup?: boolean },
): Promise<{ modelId: Hex; verifier: Hex; build: VerifierBuild; policy: RegistrationPolicy }> {
  const visibility = p.compiled.report.layout.inputVisibility ?? 'committed';
  if (visibility !== 'committed') throw new UnsupportedVisibilityError({ visibility });
  const policy = registrationPolicy(p.compiled.report, { chainId: await publicClient.getChainId(), allowDevSetup: p.allowDevSetup });
  const build = JSON.parse(readFileSync(p.compiled.path('verifierBuild'), 'utf8')) as VerifierBuild;
  const { address: verifier } = await deploy(publicClient, wallet, { abi: build.abi as never, bytecode: build.bytecode });
  const { report } = p.compiled;
  const io = {
    inputCount: report.layout.inputCount,
    inputWidth: report.layout.inputWidth,
    outputCount: report.layout.outputCount,
    outputBits: report.layout.outputBits,
    outputScale: report.quantization.outputScale,
  };
  const { request } = await publicClient.simulateContract({
    account: wallet.account, address: p.registry, abi: modelRegistryAbi, functionName: 'registerModel',
    args: [p.name, Mode.Proved, { verifier, commitment: report.modelCommitment, weightsCommitment: BigInt(report.weights?.commitment ?? 0), io, pinning: policy.pinning, setup: policy.setup }, p.fee],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
  const [event] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: 'ModelRegistered' });
  return { modelId: event!.args.modelId, verifier, build, policy };
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
  if (!ok || BigInt(ok) !== 1n) throw new Error(`the proof does not verify against the verifier at ${p.verifier}`);
  const hash = await wallet.sendTransaction({ to: p.verifier, data, gas: 2_000_000n });
  return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
}

/**
 * Gas of every transaction an agreed-mode request took: the request, and each Committee
 * transaction that touched it (propose, commits, reveals, advances, appeals, finalisation).
 */
export async function agreedRequestGas(publicClient: PublicClient, addresses: VerityAddresses, requestId: bigint, requestTx: Hex): Promise<{ gas: bigint; transactions: number }> {
  // Nothing of this request's is older than the request itself.
  const { blockNumber } = await publicClient.getTransactionReceipt({ hash: requestTx });
  const logs = await publicClient.getContractEvents({ address: addresses.committee!, abi: committeeAbi, fromBlock: blockNumber });
  const hashes = new Set<Hex>([requestTx, ...logs.filter((l) => (l.args as { requestId?: bigint } | undefined)?.requestId === requestId).map((l) => l.transactionHash)]);
  let gas = 0n;
  for (const hash of hashes) gas += (await publicClient.getTransactionReceipt({ hash })).gasUsed;
  return { gas, transactions: hashes.size };
}
