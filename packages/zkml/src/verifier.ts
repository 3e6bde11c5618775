import { createRequire } from 'node:module';
import type { VerifierBuild } from './artefacts.js';
import { CircuitCompileError } from './errors/compile.js';

const require = createRequire(import.meta.url);

/** Compiles the exported Solidity verifier with solc-js (the same compiler forge uses here). */
export function compileVerifier(source: string): VerifierBuild {
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
  const c = output.contracts['Verifier.sol'].Groth16Verifier;
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
}
