import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseEventLogs, type Hex, type PublicClient } from 'viem';
import { deploy, modelRegistryAbi, Mode, type Wallet } from '@verity/sdk';
import { cacheDir, compileModel, loadCompiled, readSamplesFile, type CompiledModel, type Progress, type VerifierBuild } from '@verity/zkml';

const require = createRequire(import.meta.url);

/**
 * Compiles a model once and reuses the artefacts while the model, the calibration data and
 * the compiler's circuit library are unchanged (keyed by their hash).
 */
export async function compileCached(p: { name: string; onnx: string; calibration?: string; progress?: Progress }): Promise<{ compiled: CompiledModel; cached: boolean }> {
  const zkmlRoot = dirname(require.resolve('@verity/zkml'));
  const hash = createHash('sha256');
  hash.update(readFileSync(p.onnx));
  if (p.calibration) hash.update(readFileSync(p.calibration));
  for (const f of ['../circuits/verity.circom', 'codegen/circom.ts', 'quantize/quantize.ts']) hash.update(readFileSync(join(zkmlRoot, f)));
  const dir = join(cacheDir(), 'models', `${p.name}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, 'report.json'))) return { compiled: loadCompiled(dir), cached: true };
  const calibration = p.calibration ? readSamplesFile(readFileSync(p.calibration, 'utf8')) : undefined;
  await compileModel(readFileSync(p.onnx), { out: dir, calibration, progress: p.progress });
  return { compiled: loadCompiled(dir), cached: false };
}

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
