// npm run bench:setup: the Groth16 setup alone (phase-2 key from the .r1cs and a cached dev
// powers of tau, then one contribution), native core against snarkjs, on the same files in one
// run. Checks that the two `zkey new` outputs are the same bytes and that the native
// contribution passes snarkjs's verification against snarkjs's initial key. Replaces the
// "## Setup: native against snarkjs" section of BENCHMARKS.md.
// BENCH_MODELS=mlp,lenet (default); BENCH_SNARKJS=0 times the native core alone.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileCached, devPowersOfTau, nativeContribute, nativeNewZkey, nativeProverBuilt, NATIVE_PROVER_BIN, releaseCurves } from '@verity/zkml';
import { imageSamples, lenet5, mnistMlp } from './bench/models.js';
import { writeBenchSection } from './bench/section.js';

const log = (s: string) => console.error(`[bench:setup] ${s}`);
if (!nativeProverBuilt()) throw new Error(`the native prover is not built (${NATIVE_PROVER_BIN}): install cargo and run npm install`);
const MODELS = { mlp: ['MNIST-sized MLP 784-56-10', mnistMlp], lenet: ['LeNet-5-class CNN (1x28x28)', lenet5] } as const;
type Key = keyof typeof MODELS;
const keys = (process.env.BENCH_MODELS?.split(',') ?? ['mlp', 'lenet']) as Key[];
const withSnarkjs = process.env.BENCH_SNARKJS !== '0';
const work = mkdtempSync(join(tmpdir(), 'verity-bench-setup-'));
const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const load0 = loadavg()[0]!;
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => { const s = performance.now(); const r = await f(); return [r, (performance.now() - s) / 1000]; };
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const rows: string[] = [];
for (const key of keys) {
  const [name, onnx] = MODELS[key];
  log(`${key}: compile (cached under the Verity cache directory)`);
  const { compiled } = await compileCached(`bench-${key}`, onnx(), { calibration: imageSamples(16) });
  const r1cs = compiled.path('r1cs');
  const power = compiled.report.setup.ptauPower;
  const ptau = await devPowersOfTau(power);
  const f = (n: string) => join(work, `${key}-${n}.zkey`);
  log(`${key}: native zkey new + contribute`);
  const [, nNew] = await time(() => nativeNewZkey(r1cs, ptau, f('native-0'), (e) => log(`${key} ${e.phase}`)));
  const [, nContrib] = await time(() => nativeContribute(f('native-0'), f('native-1'), 'bench', 'bench entropy'));
  let cells = ['-', '-', '-', 'not run (BENCH_SNARKJS=0)'];
  if (withSnarkjs) {
    log(`${key}: snarkjs zkey new + contribute`);
    const [, sNew] = await time(() => snarkjs.zKey.newZKey(r1cs, ptau, f('snarkjs-0'), quiet));
    const [, sContrib] = await time(() => snarkjs.zKey.contribute(f('snarkjs-0'), f('snarkjs-1'), 'bench', 'bench entropy'));
    const same = readFileSync(f('native-0')).equals(readFileSync(f('snarkjs-0')));
    log(`${key}: snarkjs verifies the native contribution against its own initial key`);
    const verified = await snarkjs.zKey.verifyFromInit(f('snarkjs-0'), ptau, f('native-1'), quiet);
    if (!same || !verified) throw new Error(`${key}: native key ${same ? '' : 'differs from snarkjs\'s'} ${verified ? '' : 'contribution fails snarkjs verification'}`);
    cells = [fmt(sNew), fmt(sContrib), `${fmt((sNew + sContrib) / (nNew + nContrib))}x`, 'identical bytes; native contribution verified by snarkjs'];
  }
  rows.push(`| ${name} | ${compiled.report.constraints.toLocaleString('en-US')} | 2^${power} | ${cells[0]} | ${cells[1]} | ${fmt(nNew)} | ${fmt(nContrib)} | ${cells[2]} | ${cells[3]} |`);
  for (const n of ['native-0', 'native-1', 'snarkjs-0', 'snarkjs-1']) rmSync(f(n), { force: true });
  write(); // after every model: a long run stopped part-way keeps what it measured
}
await releaseCurves();
rmSync(work, { recursive: true, force: true });
process.exit(0);

/** Replaces the BENCHMARKS.md section with the rows so far. */
function write(): void {
  writeBenchSection('## Setup: native against snarkjs', [
    '## Setup: native against snarkjs (`npm run bench:setup`)',
    '',
    `The Groth16 setup step of \`verity compile\` alone: the phase-2 key from the circuit's .r1cs and the cached dev powers of tau (\`zkey new\`), then one contribution (\`zkey contribute\`), in seconds, on the same files in one run. Native: native/verity-prover \`setup\` and \`contribute\` (arkworks 0.6, every core); snarkjs 0.7 with its default workers. The check column compares the two \`zkey new\` outputs byte for byte and runs snarkjs's \`zkey verify\` (from its own initial key) on the native contribution. Load average at the start: ${load0.toFixed(1)} (the 2 cores are shared). \`npm run bench:setup\`.`,
    '',
    '| model | constraints | domain | snarkjs new s | snarkjs contribute s | native new s | native contribute s | speed-up | check |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ]);
}
