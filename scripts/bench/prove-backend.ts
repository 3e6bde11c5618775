// One Groth16 backend in its own process (so peak memory is this backend's): load a compiled
// model, prove the given witness files warm (the Groth16 step alone), then prove the given
// inputs end to end (witness + Groth16, as a node does), each after a warm-up; one JSON line.
// coldMs: load and the first end-to-end proof, as a one-shot `verity prove` pays them.
// Usage: prove-backend.ts <native|snarkjs> <compiled dir> <inputs.json> <wtns...>
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { NativeProver, Prover, releaseCurves } from '@verity/zkml';

const [backend, dir, inputsFile, ...witnesses] = process.argv.slice(2) as ['native' | 'snarkjs', string, string, ...string[]];
// VmHWM, not resourceUsage().maxRSS: Linux carries the spawning process's peak across exec.
const peakMb = (pid: number | 'self' = 'self') => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as number[][];
const t0 = performance.now();
const prover = await Prover.load(dir, { backend });
const loadMs = performance.now() - t0;
// cold: what a one-shot `verity prove` pays after starting (key load, witness generator start, one proof)
await prover.prove({ input: inputs[0]! }, 1n);
const coldMs = performance.now() - t0;
const files = witnesses.map((f) => readFileSync(f));
await prover.backend.prove(files[0]!);
const times: number[] = [];
let last;
for (const w of files) {
  const s = performance.now();
  last = await prover.backend.prove(w);
  times.push(performance.now() - s);
}
const endToEnd: { witnessMs: number; proveMs: number }[] = [];
// how long the event loop stalls while proving: what a queue lock renewal would wait for
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
for (const [i, x] of inputs.entries()) endToEnd.push((await prover.prove({ input: x }, BigInt(i + 1))).timings!);
lag.disable();
const maxLoopDelayMs = lag.max / 1e6;
const native = prover.backend instanceof NativeProver ? prover.backend : undefined;
const nativePeakMb = native ? (await native.stats()).peakRssBytes / 2 ** 20 : 0;
const threads = native?.key.threads;
await prover.close();
await releaseCurves();
console.log(JSON.stringify({ backend, loadMs, coldMs, times, endToEnd, maxLoopDelayMs, nodePeakMb: peakMb(), nativePeakMb, threads, last }));
process.exit(0);
