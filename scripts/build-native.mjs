// Builds the native prover (native/verity-prover) with cargo when cargo is present: run by
// scripts/build.mjs (npm install's postinstall, npm test / start / bench), where an
// up-to-date build takes cargo well under a second. Without cargo, or when the build fails,
// Verity proves with snarkjs (packages/zkml/src/prover/backend.ts) and this says so in one line.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const crate = join(root, 'native', 'verity-prover');

if (process.env.VERITY_PROVER === 'snarkjs') {
  console.log('native prover: skipped (VERITY_PROVER=snarkjs)');
} else if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('native prover: cargo not found, proving with snarkjs (install Rust and run npm install again for the native core)');
} else {
  const started = Date.now();
  process.stdout.write('native prover: cargo build --release ... ');
  const r = spawnSync('cargo', ['build', '--release', '--quiet', '--manifest-path', join(crate, 'Cargo.toml'), '--target-dir', join(crate, 'target')], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status === 0) console.log(`built in ${secs} s (native/verity-prover/target/release/verity-prover)`);
  else console.log(`FAILED after ${secs} s, proving with snarkjs\n${(r.stderr ?? r.error?.message ?? '').slice(-3000)}`);
}
