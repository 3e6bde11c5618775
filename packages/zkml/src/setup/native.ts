// Groth16 setup with the native core (native/verity-prover `setup` and `contribute`): the same
// .zkey files as snarkjs's `zkey new` and `zkey contribute`, an order of magnitude faster.
// One process per step; progress lines come on its stderr, one JSON answer on its stdout.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { getCurveFromName } from 'ffjavascript';
import { NativeProtocolError, NativeProverExitedError, NativeProverUnavailableError } from '../errors/native.js';
import type { Progress } from '../progress.js';
import { nativeError, nativeProverBuilt, NATIVE_PROVER_BIN } from '../prover/native.js';

/** The (offset, size) of every section of an iden3 binary file (.ptau, .r1cs, .zkey), first of each id. */
function sectionTable(fd: number): Map<number, { pos: number; size: number }> {
  const head = Buffer.alloc(12);
  readSync(fd, head, 0, 12, 0);
  const out = new Map<number, { pos: number; size: number }>();
  let pos = 12;
  for (let i = head.readUInt32LE(8); i > 0; i--) {
    if (readSync(fd, head, 0, 12, pos) < 12) break;
    const size = Number(head.readBigUInt64LE(4));
    if (!out.has(head.readUInt32LE(0))) out.set(head.readUInt32LE(0), { pos: pos + 12, size });
    pos += 12 + size;
  }
  return out;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  readSync(fd, b, 0, len, pos);
  return b;
}

/** The domain snarkjs gives a circuit: 2^(floor(log2(constraints + public)) + 1), from the .r1cs header. */
export function r1csDomain(r1cs: string): number {
  const fd = openSync(r1cs, 'r');
  try {
    const h = sectionTable(fd).get(1)!;
    const b = readAt(fd, h.pos, Math.min(h.size, 4 + 32 + 28));
    const at = 4 + b.readUInt32LE(0);
    const [outputs, pubInputs] = [b.readUInt32LE(at + 4), b.readUInt32LE(at + 8)];
    const constraints = b.readUInt32LE(at + 24);
    return 2 ** (Math.floor(Math.log2(Math.max(1, constraints + outputs + pubInputs))) + 1);
  } finally {
    closeSync(fd);
  }
}

/**
 * The one point of snarkjs's circuit hash that native code cannot reproduce, if there is one.
 * snarkjs hashes the H points in whole chunks of 2^14; above a domain of 2^14 and with a ptau
 * of exactly the circuit's power, its last difference reads 64 bytes past the ptau's section 2
 * (the next section's header and a G2 point) and subtracts them as a G1 point with its
 * WebAssembly field code, on numbers above the modulus. This runs that same code on those
 * bytes and returns the hashed result (hex), for `verity-prover setup --h-tail`.
 */
export async function hashTail(ptau: string, domain: number): Promise<string | undefined> {
  const fd = openSync(ptau, 'r');
  try {
    const sections = sectionTable(fd);
    const power = readAt(fd, sections.get(1)!.pos, 40).readUInt32LE(36);
    const chunk = 2 ** 14;
    const count = Math.ceil((domain - 1) / chunk) * Math.min(domain - 1, chunk);
    const last = count - 1 + domain;
    if (last < 2 ** (power + 1) - 1) return undefined;
    const tauG1 = sections.get(2)!.pos;
    const curve = (await getCurveFromName('bn128', true)) as TailCurve;
    try {
      const diff = curve.G1.sub(new Uint8Array(readAt(fd, tauG1 + last * 64, 64)), new Uint8Array(readAt(fd, tauG1 + (count - 1) * 64, 64)));
      const u = new Uint8Array(64);
      curve.G1.toRprUncompressed(u, 0, diff);
      return Buffer.from(u).toString('hex');
    } finally {
      await curve.terminate();
    }
  } finally {
    closeSync(fd);
  }
}

type TailCurve = { G1: { sub(a: Uint8Array, b: Uint8Array): Uint8Array; toRprUncompressed(buff: Uint8Array, offset: number, p: Uint8Array): void }; terminate(): Promise<void> };

/** Runs one verity-prover command; resolves with its JSON answer, rejects with the typed error. */
function run(args: string[], progress: Progress | undefined, phase: string, stdin?: string): Promise<Record<string, unknown>> {
  if (!nativeProverBuilt()) throw new NativeProverUnavailableError({ binary: NATIVE_PROVER_BIN });
  return new Promise((resolve, reject) => {
    const child = spawn(NATIVE_PROVER_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '', partial = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => {
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = /^progress: (.*?)(?: \(\d+ ms\))?$/.exec(l);
        if (m) progress?.({ phase: `${phase}: ${m[1]}` });
        else err = (err + l + '\n').slice(-4000);
      }
    });
    child.on('error', (e) => reject(new NativeProverExitedError({ code: null, signal: null, stderr: e.message })));
    child.on('close', (code, signal) => {
      let answer: { ok?: boolean; error?: { kind: string } & Record<string, unknown> } & Record<string, unknown>;
      try {
        answer = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        reject(code === 0 ? new NativeProtocolError({ reason: `unreadable answer: ${out.slice(0, 200)}` }) : new NativeProverExitedError({ code, signal, stderr: err }));
        return;
      }
      if (answer.ok) resolve(answer);
      else reject(nativeError(answer.error!));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}

/**
 * Writes the phase-2 key of `r1cs` over a prepared `ptau` to `out`: the file snarkjs's
 * `zkey new` writes, byte for byte. Returns the circuit hash (hex).
 *
 * @example
 * await nativeNewZkey('build/spam/circuit.r1cs', ptau, 'circuit_0.zkey')
 */
export async function nativeNewZkey(r1cs: string, ptau: string, out: string, progress?: Progress): Promise<{ csHash: string; ms: number }> {
  // files that are not an .r1cs and a .ptau get no tail: verity-prover names what is wrong
  const tail = await Promise.resolve().then(() => hashTail(ptau, r1csDomain(r1cs))).catch(() => undefined);
  const r = await run(['setup', r1cs, ptau, out, ...(tail ? ['--h-tail', tail] : [])], progress, 'groth16 setup (native)');
  return { csHash: r.csHash as string, ms: r.ms as number };
}

/**
 * Adds a phase-2 contribution to `zkey`, written to `out`, as snarkjs's `zkey contribute`
 * (its records and hashes, checked by `snarkjs zkey verify`). `entropy` is mixed with 64
 * random bytes. Returns the contribution hash (hex) participants publish.
 *
 * @example
 * const { hash } = await nativeContribute('circuit_0.zkey', 'circuit.zkey', 'alice', entropy)
 */
export async function nativeContribute(zkey: string, out: string, name: string, entropy: string, progress?: Progress): Promise<{ hash: string; ms: number }> {
  const r = await run(['contribute', zkey, out, '--name', name], progress, 'groth16 contribution (native)', entropy);
  return { hash: r.hash as string, ms: r.ms as number };
}

/**
 * Writes the insecure dev powers of tau for `secrets` (the file `writeDevPtau` writes, byte for
 * byte) with the native core; `progress` gets a percentage per section.
 */
export async function nativeDevPtau(file: string, power: number, secrets: { tau: bigint; alpha: bigint; beta: bigint }, progress?: (percent: number) => void): Promise<void> {
  const steps = ['tau G1', 'tau G2', 'alpha tau G1', 'beta tau G1', 'Lagrange bases', 'Lagrange bases G2', 'Lagrange bases alpha', 'Lagrange bases beta'];
  const percent: Progress = (e) => { const i = steps.indexOf(e.phase.replace(/^.*?: /, '')); if (i >= 0) progress?.(Math.round((100 * i) / steps.length)); };
  await run(['dev-ptau', file, String(power)], percent, 'dev powers of tau (native)', `${secrets.tau} ${secrets.alpha} ${secrets.beta}`);
  progress?.(100);
}
