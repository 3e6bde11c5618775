// npm run bench:peers: the same ONNX files through EZKL and through Verity in one run, as
// ratios (prove time, peak memory, proof size, verification gas, accuracy against
// onnxruntime). EZKL runs from a Python virtual environment kept under the Verity cache
// directory (`pip install ezkl onnxruntime onnx` on the first run; Python is for benchmarks
// only); its driver is scripts/bench/ezkl_peer.py. Without PyPI (or Python 3), it says so and
// exits 0. Replaces the "## Peers" section of BENCHMARKS.md.
// BENCH_MODELS=mlp,lenet (default), BENCH_SAMPLES=4 (inputs compared with onnxruntime).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi, Hex } from 'viem';
import * as snarkjs from 'snarkjs';
import { deploy } from '@verity/sdk';
import { cacheDir, compileCached, compileVerifier, nativeProverBuilt, NATIVE_PROVER_BIN, Prover, pythonEnv, releaseCurves, type VerifierBuild } from '@verity/zkml';
import { anvilKey, connect, measureVerifyGas, startAnvil } from '@verity/cli';
import { imageSamples, lenet5, mnistMlp } from './bench/models.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:peers] ${s}`);
const MODELS = { mlp: ['MNIST-sized MLP 784-56-10', mnistMlp], lenet: ['LeNet-5-class CNN (1x28x28)', lenet5] } as const;
type Key = keyof typeof MODELS;
const keys = (process.env.BENCH_MODELS?.split(',') ?? ['mlp', 'lenet']) as Key[];
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 4);
const PACKAGES = ['ezkl', 'onnxruntime', 'onnx'];

type EzklResult = {
  ezkl: string; onnxruntime: string; logrows: number; settings: Record<string, unknown>;
  times: Record<string, number>; provePeakMb: number; proofBytes: number; instances: number; calldataBytes: number;
  verifier: string; calldata: string; evmNote: string | null; ortOutputs: number[][]; ezklOutputs: number[][]; pkBytes: number;
};
type VerityProve = { loadMs: number; coldMs: number; endToEnd: { witnessMs: number; proveMs: number }[]; nodePeakMb: number; nativePeakMb: number; threads?: number };

// The Python virtual environment with EZKL, made on first use (pythonEnv); without it, say why and exit 0.
const env = pythonEnv('peers', { packages: PACKAGES }, log);
if ('unavailable' in env) {
  log(`no Python environment for EZKL (${env.unavailable}): skipping the EZKL comparison`);
  process.exit(0);
}
const python = env.python;
if (!nativeProverBuilt()) throw new Error(`the native prover is not built (${NATIVE_PROVER_BIN}): install cargo and run npm install`);
const work = mkdtempSync(join(tmpdir(), 'verity-bench-peers-'));
const srsDir = join(cacheDir(), 'peers', 'srs');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load0 = loadavg()[0]!;
const started = Date.now();

/** Worst error against onnxruntime as a share of onnxruntime's output range, and how often the top class agrees. */
function accuracy(reference: number[][], outputs: number[][]): { maxErrorPct: number; top1: number } {
  const all = reference.flat();
  const range = Math.max(...all) - Math.min(...all);
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  const maxError = Math.max(...reference.flatMap((r, i) => r.map((v, j) => Math.abs(v - outputs[i]![j]!))));
  return { maxErrorPct: (100 * maxError) / range, top1: reference.filter((r, i) => argmax(r) === argmax(outputs[i]!)).length / reference.length };
}

const anvil = await startAnvil();
const { publicClient, wallet } = await connect(anvil.rpcUrl);
const user = wallet(anvilKey(5));
/** Gas of a transaction carrying `data` to a verifier, after checking that an eth_call of it returns true. */
async function verifyGas(to: Hex, data: Hex): Promise<bigint> {
  const { data: ok } = await publicClient.call({ to, data });
  if (!ok || BigInt(ok) !== 1n) throw new Error(`the proof does not verify against the verifier at ${to}`);
  const hash = await user.sendTransaction({ to, data, gas: 15_000_000n });
  return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
}

type Row = { key: Key; cached: boolean; ezkl: EzklResult; ezklGas?: bigint; ezklVerifierBytes: number; verity: VerityProve; verityGas: bigint; verityAcc: ReturnType<typeof accuracy>; ezklAcc: ReturnType<typeof accuracy>; constraints: number; publicSignals: number; timings: { compileSeconds: number; setupSeconds: number } };
const rows: Row[] = [];
try {
  for (const key of keys) {
    const [, onnx] = MODELS[key];
    const dir = join(work, key);
    mkdirSync(dir, { recursive: true });
    const bytes = onnx();
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const samples = imageSamples(SAMPLES, 99);
    writeFileSync(join(dir, 'samples.json'), JSON.stringify(samples));
    writeFileSync(join(dir, 'calibration.json'), JSON.stringify({ input_data: [imageSamples(16).flat()] }));

    log(`${key}: EZKL (settings, calibrate, compile, SRS, setup, witness, prove, verify, EVM verifier)`);
    const e = spawnSync(python, [join(import.meta.dirname, 'bench', 'ezkl_peer.py'), 'model', join(dir, 'model.onnx'), join(dir, 'calibration.json'), join(dir, 'samples.json'), join(dir, 'ezkl'), srsDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
    if (e.status !== 0) throw new Error(`ezkl_peer.py exited with ${e.status}`);
    const ezkl = JSON.parse(e.stdout.trim().split('\n').pop()!) as EzklResult;

    log(`${key}: Verity (compile and setup cached under the Verity cache directory, native prover)`);
    const { compiled, cached } = await compileCached(`bench-${key}`, bytes, { calibration: imageSamples(16), progress: (p) => log(`${key} ${p.phase}${p.percent !== undefined ? ` ${p.percent}%` : ''}`) });
    const prover = await Prover.load(compiled.dir, { backend: 'native' });
    const files = samples.map((_, i) => join(dir, `verity-${i}.wtns`));
    const proofs = [];
    for (const [i, x] of samples.entries()) proofs.push(await prover.prove({ input: x }, BigInt(i + 1), { witnessFile: files[i] }));
    await prover.close();
    const vk = JSON.parse(readFileSync(compiled.path('verificationKey'), 'utf8'));
    if (!(await snarkjs.groth16.verify(vk, proofs[0]!.publicSignals, proofs[0]!.proof))) throw new Error(`${key}: a Verity proof did not verify`);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify(samples));
    // timings and peak memory in a process of its own (scripts/bench/prove-backend.ts, as bench:prove)
    const v = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench', 'prove-backend.ts'), 'native', compiled.dir, join(dir, 'inputs.json'), ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (v.status !== 0) throw new Error(`prove-backend.ts exited with ${v.status}: ${v.stderr.slice(-2000)}`);
    const verity = JSON.parse(v.stdout.trim().split('\n').pop()!) as VerityProve;

    log(`${key}: verification gas on anvil`);
    const build = JSON.parse(readFileSync(compiled.path('verifierBuild'), 'utf8')) as VerifierBuild;
    const ours = await deploy(publicClient, user, { abi: build.abi as Abi, bytecode: build.bytecode });
    const verityGas = await measureVerifyGas(publicClient, user, { verifier: ours.address, build, proof: proofs[0]!.proof, publicSignals: proofs[0]!.publicSignals });
    const halo2 = compileVerifier(readFileSync(ezkl.verifier, 'utf8'), 'Halo2Verifier');
    const ezklVerifierBytes = (halo2.deployedBytecode.length - 2) / 2;
    let ezklGas: bigint | undefined;
    try {
      const theirs = await deploy(publicClient, user, { abi: halo2.abi as Abi, bytecode: halo2.bytecode });
      ezklGas = await verifyGas(theirs.address, `0x${readFileSync(ezkl.calldata).toString('hex')}`);
    } catch (err) {
      log(`${key}: EZKL's verifier (${ezklVerifierBytes} bytes) could not be deployed or called on anvil: ${(err as Error).message.split('\n')[0]}`);
    }
    rows.push({
      key, cached, ezkl, ezklGas, ezklVerifierBytes, verity, verityGas, constraints: compiled.report.constraints, timings: compiled.report.timings, publicSignals: proofs[0]!.publicSignals.length,
      verityAcc: accuracy(ezkl.ortOutputs, proofs.map((p) => p.outputs)), ezklAcc: accuracy(ezkl.ortOutputs, ezkl.ezklOutputs),
    });
    writeFileSync(join(work, 'rows.json'), JSON.stringify(rows, (_, x) => (typeof x === 'bigint' ? x.toString() : x)));
  }
} finally {
  await anvil.stop();
  await releaseCurves();
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b >= 10 ? 0 : a / b >= 1 ? 1 : 2)}x`;
const table: string[] = [];
const steps: string[] = [];
for (const r of rows) {
  const [name] = MODELS[r.key];
  const warm = median(r.verity.endToEnd.map((t) => t.witnessMs + t.proveMs));
  const ezklProve = (r.ezkl.times.gen_witness! + r.ezkl.times.prove!) * 1000;
  const verityPeak = r.verity.nodePeakMb + r.verity.nativePeakMb;
  const verityBytes = 256 + 32 * r.publicSignals;
  const ezklBytes = r.ezkl.proofBytes + 32 * r.ezkl.instances;
  // gen_srs left out, as Verity's powers of tau: both are made once per size and cached (the step table has it)
  const ezklSetup = ['gen_settings', 'calibrate_settings', 'compile_circuit', 'setup'].reduce((a, k) => a + (r.ezkl.times[k] ?? 0), 0);
  const veritySetup = r.timings.compileSeconds + r.timings.setupSeconds;
  table.push(
    `| ${name} | compile and set up, s (EZKL: settings, calibrate, compile, setup; Verity: \`verity compile\` with its Groth16 setup; SRS and powers of tau cached${r.cached ? '; from the run that filled the cache' : ''}) | ${fmt(ezklSetup, 1)} | ${fmt(veritySetup, 1)} | ${ratio(ezklSetup, veritySetup)} |`,
    `| | prove ms: witness + proof, one shot (EZKL: gen_witness + prove, each loading its files; Verity: key load + first proof) | ${fmt(ezklProve)} | ${fmt(r.verity.coldMs)} | ${ratio(ezklProve, r.verity.coldMs)} |`,
    `| | prove ms, warm: a node's proof with key and witness generator loaded (EZKL's Python API has no warm prover: the same one-shot figure) | ${fmt(ezklProve)} | ${fmt(warm)} | ${ratio(ezklProve, warm)} |`,
    `| | peak MB of the proving process (Verity: Node + native prover) | ${fmt(r.ezkl.provePeakMb)} | ${fmt(verityPeak)} | ${ratio(r.ezkl.provePeakMb, verityPeak)} |`,
    `| | proof bytes (+ public inputs) | ${fmt(r.ezkl.proofBytes)} (+ ${r.ezkl.instances} × 32) | 256 (+ ${r.publicSignals} × 32) | ${ratio(ezklBytes, verityBytes)} |`,
    `| | verification gas on anvil (verifier bytecode bytes) | ${r.ezklGas === undefined ? `— (${fmt(r.ezklVerifierBytes)})` : `${fmt(Number(r.ezklGas))} (${fmt(r.ezklVerifierBytes)})`} | ${fmt(Number(r.verityGas))} | ${r.ezklGas === undefined ? '—' : ratio(Number(r.ezklGas), Number(r.verityGas))} |`,
    `| | max error against onnxruntime, % of its output range (top-1 agreement) | ${r.ezklAcc.maxErrorPct.toFixed(2)}% (${fmt(100 * r.ezklAcc.top1)}%) | ${r.verityAcc.maxErrorPct.toFixed(2)}% (${fmt(100 * r.verityAcc.top1)}%) | ${ratio(r.ezklAcc.maxErrorPct, r.verityAcc.maxErrorPct)} |`,
  );
  const t = r.ezkl.times;
  steps.push(`| ${name} | 2^${r.ezkl.logrows} rows (Verity: ${fmt(r.constraints)} R1CS constraints) | ${['gen_settings', 'calibrate_settings', 'compile_circuit', 'gen_srs', 'setup', 'gen_witness', 'prove', 'verify'].map((s) => (t[s] === undefined ? '—' : fmt(t[s]!, 2))).join(' | ')} | ${fmt(r.ezkl.pkBytes / 2 ** 20)} MB |`);
}
const ezklVersion = rows[0]?.ezkl.ezkl ?? '?';
const notes = [...new Set(rows.map((r) => r.ezkl.evmNote).filter((n): n is string => !!n))];
writeBenchSection('## Peers: EZKL', [
  '## Peers: EZKL and Verity on the same ONNX files (`npm run bench:peers`)',
  '',
  `\`npm run bench:peers\` (${fmt((Date.now() - started) / 60_000, 1)} min; load average ${load0.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end, the 2 cores shared with other work). The benchmark models of \`npm run bench\` (seeded weights, scripts/bench/models.ts), written as ONNX files once and given to both. EZKL ${ezklVersion} from PyPI in a virtual environment under the Verity cache directory (scripts/bench/ezkl_peer.py: gen_settings with the input hashed (Poseidon), outputs public and weights fixed, as Verity's committed input, public outputs and constant weights; calibrate_settings for "resources"; compile_circuit; gen_srs, a dev SRS as Verity's dev powers of tau; setup; gen_witness; prove in a fresh process; verify; create_evm_verifier; encode_evm_calldata). Verity: \`verity compile\` defaults (8-bit inputs, 12-bit weights), the native prover (${rows[0]?.verity.threads ?? '?'} threads), median of ${SAMPLES} warm proofs. Accuracy: the same ${SAMPLES} inputs through onnxruntime ${rows[0]?.ezkl.onnxruntime ?? '?'}, EZKL's witness outputs and Verity's proved outputs. Gas: each verifier deployed on anvil, one verifying transaction. Ratios are EZKL / Verity (above 1: Verity smaller or faster).`,
  '',
  '| model | measure | EZKL | Verity (native) | EZKL / Verity |',
  '|---|---|---|---|---|',
  ...table,
  '',
  'EZKL step by step, seconds (prove: its own process, loading the proving key; the proving key\'s size last):',
  '',
  '| model | circuit | gen_settings | calibrate_settings | compile_circuit | gen_srs | setup | gen_witness | prove | verify | pk |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...steps,
  ...(notes.length > 0 ? ['', `EZKL's create_evm_verifier wrote Verifier.sol and then failed to fetch a solc (${notes[0]!.slice(0, 160)}); the verifier was compiled with the solc npm package (0.8.28, optimizer 200 runs, cancun), as Verity's are.`] : []),
]);
rmSync(work, { recursive: true, force: true }); // EZKL's proving keys run to gigabytes
process.exit(0);
