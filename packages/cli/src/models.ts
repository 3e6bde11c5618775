import { readFileSync } from 'node:fs';
import { parseEventLogs, type Hex, type PublicClient } from 'viem';
import { deploy, modelRegistryAbi, Mode, type Wallet } from '@verity/sdk';
import type { CompiledModel, VerifierBuild } from '@verity/zkml';

/**
 * Deploys a compiled model's verifier and registers the model in proved mode, owned by
 * `wallet`. Returns the model id.
 */
export async function registerCompiled(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Hex; compiled: CompiledModel; name: string; fee: bigint },
): Promise<{ modelId: Hex; verifier: Hex; verifierDeployGas: bigint }> {
  const build = JSON.parse(readFileSync(p.compiled.path('verifierBuild'), 'utf8')) as VerifierBuild;
  const { address: verifier, gasUsed } = await deploy(publicClient, wallet, { abi: build.abi as never, bytecode: build.bytecode });
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
    args: [p.name, Mode.Proved, verifier, report.modelCommitment, io, p.fee],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
  const [event] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: 'ModelRegistered' });
  return { modelId: event!.args.modelId, verifier, verifierDeployGas: gasUsed };
}
