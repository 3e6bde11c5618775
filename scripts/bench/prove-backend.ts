// One Groth16 backend in its own process (so peak memory is this backend's): load the key,
// prove the given witnesses warm (after one warm-up proof), print one JSON line.
// Usage: prove-backend.ts <native|snarkjs> <zkey> <wtns...>
import { readFileSync } from 'node:fs';
import { NativeProver, openBackend, releaseCurves } from '@verity/zkml';

const [backend, zkey, ...witnesses] = process.argv.slice(2) as ['native' | 'snarkjs', string, ...string[]];
const t0 = performance.now();
const engine = await openBackend(zkey, { backend });
const loadMs = performance.now() - t0;
const files = witnesses.map((f) => readFileSync(f));
await engine.prove(files[0]!);
const times: number[] = [];
let last;
for (const w of files) {
  const s = performance.now();
  last = await engine.prove(w);
  times.push(performance.now() - s);
}
// the native prover's own process: its peak resident memory adds to this process's
const nativePeakMb = engine instanceof NativeProver ? (await engine.stats()).peakRssBytes / 2 ** 20 : 0;
const threads = engine instanceof NativeProver ? engine.key.threads : undefined;
await engine.close();
await releaseCurves();
console.log(JSON.stringify({ backend, loadMs, times, nodePeakMb: process.resourceUsage().maxRSS / 1024, nativePeakMb, threads, last }));
process.exit(0);
