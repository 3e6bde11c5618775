import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import type { VerifierBuild } from './artefacts.js';
import { BATCH_VERIFIER_CONTRACT, batchVerifierSource, type Groth16VerificationKey } from './batchVerifier.js';
import { CircuitCompileError } from './errors/compile.js';
import { INSECURE_DEV_SETUP } from './setup/ptau.js';

const require = createRequire(import.meta.url);

/**
 * Compiles a Solidity verifier with solc-js (the same compiler forge uses here): by default the
 * deployable `Groth16BatchVerifier` of an exported Verifier.sol (snarkjs's `Groth16Verifier`
 * plus `verifyBatch`); `contract` names another (a peer's verifier in the benches).
 */
export function compileVerifier(source: string, contract: string = BATCH_VERIFIER_CONTRACT): VerifierBuild {
  const solc = require('solc') as { compile(input: string): string };
  const output = JSON.parse(solc.compile(JSON.stringify({
    language: 'Solidity',
    sources: { 'Verifier.sol': { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  })));
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === 'error');
  if (errors.length > 0) throw new CircuitCompileError({ output: errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n') });
  const c = output.contracts['Verifier.sol'][contract];
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
}

/**
 * From a proving key: the verification key, the Solidity verifier (headed by the insecure
 * label for a dev setup: snarkjs's verifier, unchanged, followed by the batch verifier that
 * inherits it, see {@link batchVerifierSource}) and its compiled build. Compile and every phase-2 contribution
 * export through here.
 */
export async function exportVerifier(zkey: string, insecure: boolean): Promise<{ vk: unknown; source: string; build: VerifierBuild; bytecodeSize: number }> {
  const vk = await snarkjs.zKey.exportVerificationKey(zkey);
  const template = readFileSync(join(dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  const solidity = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
  const both = `${solidity}\n${batchVerifierSource(vk as Groth16VerificationKey)}`;
  const source = insecure ? `// ${INSECURE_DEV_SETUP}\n${both}` : both;
  const build = compileVerifier(source);
  return { vk, source, build, bytecodeSize: (build.deployedBytecode.length - 2) / 2 };
}
