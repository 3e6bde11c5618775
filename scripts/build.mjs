// Build step run by `npm install` (postinstall, so every CLI command works right after it) and
// again by `npm start`, `npm test` and `npm run bench` (cheap when nothing changed):
// 1. contracts/src/generated/Poseidon8Constants.sol: circomlibjs's Poseidon constants for t = 9;
// 2. forge build;
// 3. packages/sdk/src/generated/contracts.ts: ABIs (as const) and bytecode from the forge build
//    (the Coprocessor's with the views it forwards to CoprocessorViews);
// 4. the native prover, when cargo is present (scripts/build-native.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPoseidon } from 'circomlibjs';
import { keccak256 } from 'viem';
import { foundryBinary } from './foundry.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const contracts = join(root, 'contracts');

// circomlibjs's optimised Poseidon constants for t = 9 (C, M, P, S), as 32-byte words for
// contracts/src/Poseidon8.sol (its own EVM generator stops at 6 inputs).
const require = createRequire(import.meta.url);
const opt = JSON.parse(readFileSync(join(dirname(require.resolve('circomlibjs')), '..', 'src', 'poseidon_constants_opt.json'), 'utf8'));
const t9 = (key) => opt[key][7].flat(2).map((x) => BigInt(x));
const words = [...t9('C'), ...t9('M'), ...t9('P'), ...t9('S')];
if (words.length !== 1368) throw new Error(`Poseidon8: ${words.length} constants, expected 1368`);
const poseidon = await buildPoseidon();
const vector = poseidon.F.toObject(poseidon([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]));
// The input commitment of bytes 0, 1, ..., 221 at width 1: 8 chunks of 31 bytes (the last 5), two permutations.
const chunkOf = (k) => Array.from({ length: Math.min(31, 222 - 31 * k) }, (_, i) => BigInt((31 * k + i) % 256)).reduce((a, b) => a * 256n + b, 0n);
let chainVector = 0n;
for (let c = 0; c < 8; c += 7) chainVector = poseidon.F.toObject(poseidon([chainVector, ...Array.from({ length: 7 }, (_, j) => (c + j < 8 ? chunkOf(c + j) : 0n))]));
mkdirSync(join(contracts, 'src', 'generated'), { recursive: true });
// The permutation, unrolled over lanes and partial rounds, at fixed memory addresses: the
// 1,368 constant words from 0x80 (C 135, M 81, P 81, S 1,071), then the state (9 words) and 9
// scratch words. Every load is then a PUSH2 and an MLOAD.
const hex = (n) => `0x${n.toString(16)}`;
const lanes = [...Array(9).keys()];
const word = (w) => hex(0x80 + 32 * w);
const C0 = 0, M0 = 135, P0 = 216, S0 = 297, ST = 1368, TMP = 1377;
const full = (name, matrix, ark) => [
  `            function ${name}(${ark ? 'c, ' : ''}q) {`,
  ...lanes.map((i) =>
    `                { let x := mload(${word(ST + i)}) let y := mulmod(x, x, q) mstore(${word(TMP + i)}, ${
      ark ? `addmod(mulmod(mulmod(y, y, q), x, q), mload(add(c, ${hex(0x20 * i)})), q)` : 'mulmod(mulmod(y, y, q), x, q)'
    }) }`),
  ...lanes.map((i) => `                { let a := mulmod(mload(${word(matrix + i)}), mload(${word(TMP)}), q) ${lanes.slice(1).map((j) =>
    `a := addmod(a, mulmod(mload(${word(matrix + 9 * j + i)}), mload(${word(TMP + j)}), q), q)`).join(' ')} mstore(${word(ST + i)}, a) }`),
  '            }',
];
// Partial round r: x = state[0]^5 + C[45 + r]; state[0] = sum_j S[17r + j] * state[j] (with
// state[0] = x); state[k] += x * S[17r + 8 + k].
const partial = [
  '            function partialRounds(q) {',
  ...Array.from({ length: 63 }, (_, r) => [
    `                { let x := mload(${word(ST)}) let x2 := mulmod(x, x, q) x := addmod(mulmod(mulmod(x2, x2, q), x, q), mload(${word(C0 + 45 + r)}), q)`,
    `                  let s0 := mulmod(mload(${word(S0 + 17 * r)}), x, q)`,
    ...lanes.slice(1).map((j) =>
      `                  { let v := mload(${word(ST + j)}) s0 := addmod(s0, mulmod(mload(${word(S0 + 17 * r + j)}), v, q), q) mstore(${word(ST + j)}, addmod(v, mulmod(x, mload(${word(S0 + 17 * r + 8 + j)}), q), q)) }`),
    `                  mstore(${word(ST)}, s0) }`,
  ]).flat(),
  '            }',
];
const permuteSol = `
    /// @dev Where the constants go in memory (\`permute\` reads them there) and the state after them.
    uint256 internal constant CONSTANTS_AT = 0x80;
    uint256 internal constant STATE_AT = ${word(ST)};
    uint256 internal constant MEMORY_END = ${word(TMP + 9)};

    /// @dev Poseidon's permutation (circomlibjs's poseidon_opt) of the 9 words at STATE_AT, with
    /// the 1,368 constant words at CONSTANTS_AT; uses the 9 words after the state. Returns the
    /// first word. The caller owns that memory: nothing it needs may live there.
    function permute() internal pure returns (uint256 out) {
        assembly {
            let prime := 21888242871839275222246405745257275088548364400416034343698204186575808495617
            for { let i := 0 } lt(i, 0x120) { i := add(i, 0x20) } {
                mstore(add(${word(ST)}, i), addmod(mload(add(${word(ST)}, i)), mload(add(${word(C0)}, i)), prime))
            }
            fullM(${word(C0 + 9)}, prime)
            fullM(${word(C0 + 18)}, prime)
            fullM(${word(C0 + 27)}, prime)
            fullP(${word(C0 + 36)}, prime)
            partialRounds(prime)
            fullM(${word(C0 + 108)}, prime)
            fullM(${word(C0 + 117)}, prime)
            fullM(${word(C0 + 126)}, prime)
            lastM(prime)
            out := mload(${word(ST)})

${[...full('fullM', M0, true), '', ...full('fullP', P0, true), '', ...full('lastM', M0, false), '', ...partial].join('\n')}
        }
    }
`;
const wordsHex = (ws) => ws.map((w) => w.toString(16).padStart(64, '0')).join('');
const lowCode = `0x00${wordsHex(words.slice(0, 684))}`, highCode = `0x00${wordsHex(words.slice(684))}`;
const dataContract = (name, code, what) => `
/// @notice ${what}: deployed code a STOP byte and then the words, read by Poseidon8 with EXTCODECOPY.
contract ${name} {
    constructor() {
        bytes memory code = hex"${code.slice(2)}";
        assembly {
            return(add(code, 0x20), mload(code))
        }
    }
}
`;
const constantsSol = `// SPDX-License-Identifier: MIT
// Generated by scripts/build.mjs from circomlibjs (poseidon_constants_opt.json, t = 9). Do not edit.
pragma solidity ^0.8.28;

library Poseidon8Constants {
    /// @dev Poseidon([1, 2, ..., 8]) as computed by circomlibjs, for tests.
    uint256 internal constant TEST_VECTOR = ${vector};
    /// @dev The input commitment (seed 0, width 1) of the 222 bytes 0, 1, ..., 221, as computed by circomlibjs.
    uint256 internal constant CHAIN_VECTOR = ${chainVector};
    /// @dev The code hashes of Poseidon8Low and Poseidon8High: words 0..683 and 684..1367 of C (135),
    /// M (81, row-major), P (81, row-major) and S (1,071).
    bytes32 internal constant LOW_HASH = ${keccak256(lowCode)};
    bytes32 internal constant HIGH_HASH = ${keccak256(highCode)};
${permuteSol}}
${dataContract('Poseidon8Low', lowCode, "Poseidon(8)'s constants, words 0 to 683")}${dataContract('Poseidon8High', highCode, "Poseidon(8)'s constants, words 684 to 1,367")}`;
const constantsPath = join(contracts, 'src', 'generated', 'Poseidon8Constants.sol');
if (!existsSync(constantsPath) || readFileSync(constantsPath, 'utf8') !== constantsSol) writeFileSync(constantsPath, constantsSol);
rmSync(join(contracts, 'src', 'generated', 'Poseidon6.sol'), { force: true });

const forge = foundryBinary(root, 'forge');
execFileSync(forge, ['build', '--root', contracts], { stdio: ['ignore', 'ignore', 'inherit'], cwd: contracts });

const artefact = (file, name) => JSON.parse(readFileSync(join(contracts, 'out', file, `${name}.json`), 'utf8'));
const exported = [
  ['Committee.sol', 'Committee'],
  ['Poseidon8.sol', 'Poseidon8'],
  ['Poseidon8Constants.sol', 'Poseidon8Low'],
  ['Poseidon8Constants.sol', 'Poseidon8High'],
  ['Coprocessor.sol', 'Coprocessor'],
  ['ModelRegistry.sol', 'ModelRegistry'],
  ['NodeRegistry.sol', 'NodeRegistry'],
  ['SpamGuard.sol', 'SpamGuard'],
  ['ModerationDAO.sol', 'ModerationDAO'],
  ['CreditLine.sol', 'CreditLine'],
  ['FraudScreen.sol', 'FraudScreen'],
  ['SignalVault.sol', 'SignalVault'],
  ['SubjectiveMarket.sol', 'SubjectiveMarket'],
  ['EvolvingNFT.sol', 'EvolvingNFT'],
];
let ts = '// Generated by scripts/build.mjs from the forge build. Do not edit.\n\n';
// The Coprocessor forwards the views of CoprocessorViews (its fallback): its ABI has them too.
const forwarded = (name, abi) =>
  name === 'Coprocessor' ? [...abi, ...artefact('CoprocessorViews.sol', 'CoprocessorViews').abi.filter((e) => e.type === 'function' && !['coprocessor', 'nodes'].includes(e.name))] : abi;
for (const [file, name] of exported) {
  const a = artefact(file, name);
  a.abi = forwarded(name, a.abi);
  const lower = name[0].toLowerCase() + name.slice(1);
  ts += `export const ${lower}Abi = ${JSON.stringify(a.abi, null, 2)} as const;\n\n`;
  ts += `export const ${lower}Bytecode = '${a.bytecode.object}' as const;\n\n`;
}
mkdirSync(join(root, 'packages', 'sdk', 'src', 'generated'), { recursive: true });
const target = join(root, 'packages', 'sdk', 'src', 'generated', 'contracts.ts');
if (!existsSync(target) || readFileSync(target, 'utf8') !== ts) writeFileSync(target, ts);
console.log('build: contracts compiled, ABIs generated');
execFileSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { stdio: 'inherit' });
