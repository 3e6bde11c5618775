// The native Groth16 prover (native/verity-prover), run as a long-lived child process per
// proving key: the key is read once and stays in its memory, proofs run on its own threads
// (never on the Node event loop), and a crash or an out-of-memory kill ends the child, not the
// node. Protocol: native/verity-prover/src/protocol.rs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NATIVE_ERRORS, NativeProtocolError, NativeProverExitedError, NativeProverUnavailableError, type NativeErrorKind } from '../errors/native.js';
import type { Groth16Backend, Groth16Result } from './backend.js';

/** Where `npm install` builds the native prover (VERITY_PROVER_BIN overrides it). */
export const NATIVE_PROVER_BIN = process.env.VERITY_PROVER_BIN
  ?? fileURLToPath(new URL('../../../../native/verity-prover/target/release/verity-prover', import.meta.url));

/** Whether the native prover binary is built. */
export const nativeProverBuilt = (): boolean => existsSync(NATIVE_PROVER_BIN);

/** What the native prover reports after loading a key. */
export type NativeKeyInfo = { nVars: number; nPublic: number; domainSize: number; threads: number; ms: number };

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void };

/**
 * A warm native prover for one .zkey: one prover process holding the key. When that process
 * ends (killed, out of memory, a crash), the proofs it held fail with
 * {@link NativeProverExitedError} and the next proof starts a new process and loads the key
 * again; `close()` ends it (a later proof starts another).
 *
 * @example
 * const native = await NativeProver.load('build/spam/circuit.zkey')
 * const { proof, publicSignals } = await native.prove(wtnsBytes)
 * await native.close()
 */
export class NativeProver implements Groth16Backend {
  readonly name = 'native' as const;
  private restarting?: Promise<ProverProcess>;

  private constructor(
    private readonly zkeyPath: string,
    private readonly threads: number | undefined,
    private current: ProverProcess,
    /** what the prover process reported when it loaded the key */
    readonly key: NativeKeyInfo,
  ) {}

  /** Starts a prover process and loads `zkeyPath` into it; `threads` caps its thread pool. */
  static async load(zkeyPath: string, options: { threads?: number } = {}): Promise<NativeProver> {
    const { process, key } = await ProverProcess.start(zkeyPath, options.threads);
    return new NativeProver(zkeyPath, options.threads, process, key);
  }

  /** The Groth16 proof of a witness (.wtns bytes), checked against the key before it is returned. */
  async prove(witness: Uint8Array): Promise<Groth16Result> {
    const r = await (await this.live()).request({ op: 'prove' }, witness);
    return { proof: r.proof as Groth16Result['proof'], publicSignals: r.publicSignals as string[] };
  }

  /** The current prover process's id. */
  get pid(): number | undefined {
    return this.current.pid;
  }

  /** The prover process's resident and peak memory. */
  async stats(): Promise<{ rssBytes: number; peakRssBytes: number }> {
    const r = await (await this.live()).request({ op: 'stats' });
    return { rssBytes: r.rssBytes as number, peakRssBytes: r.peakRssBytes as number };
  }

  /** Ends the prover process (closing its input); resolves when it has exited. */
  async close(): Promise<void> {
    await this.restarting?.catch(() => {});
    await this.current.close();
  }

  /** The running prover process, or a new one with the key loaded again when it has ended. */
  private live(): Promise<ProverProcess> {
    if (!this.current.exited) return Promise.resolve(this.current);
    this.restarting ??= ProverProcess.start(this.zkeyPath, this.threads)
      .then(({ process }) => (this.current = process))
      .finally(() => { this.restarting = undefined; });
    return this.restarting;
  }
}

/** One `verity-prover` process: requests answered in order over its stdin and stdout. */
class ProverProcess {
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private stderr = '';
  /** set when the process has ended: every later request fails with it */
  exited?: NativeProverExitedError;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString()).slice(-4000); });
    child.on('error', (e) => this.fail(new NativeProverExitedError({ code: null, signal: null, stderr: e.message })));
    child.on('exit', (code, signal) => this.fail(new NativeProverExitedError({ code, signal, stderr: this.stderr })));
    // EPIPE and the like after an exit: reported by 'exit', never as an unhandled 'error'
    for (const s of [child.stdin, child.stdout, child.stderr]) s!.on('error', () => {});
    this.idle();
  }

  /** A new process with `zkeyPath` loaded (ended again when loading fails). */
  static async start(zkeyPath: string, threads: number | undefined): Promise<{ process: ProverProcess; key: NativeKeyInfo }> {
    if (!nativeProverBuilt()) throw new NativeProverUnavailableError({ binary: NATIVE_PROVER_BIN });
    const env = { ...process.env, ...(threads ? { RAYON_NUM_THREADS: String(threads) } : {}) };
    const started = new ProverProcess(spawn(NATIVE_PROVER_BIN, [], { stdio: ['pipe', 'pipe', 'pipe'], env }));
    const key = (await started.request({ op: 'load', zkey: zkeyPath }).catch(async (e) => { await started.close(); throw e; })) as unknown as NativeKeyInfo;
    return { process: started, key: { nVars: key.nVars, nPublic: key.nPublic, domainSize: key.domainSize, threads: key.threads, ms: key.ms } };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends the process (closing its input); resolves when it has exited. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.ref(); // an idle child holds nothing open: hold the loop until it has exited
    this.child.stdin!.end();
    await exited;
  }

  request(header: object, payload: Uint8Array = new Uint8Array()): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    const h = Buffer.from(JSON.stringify(header));
    const len = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const stdin = this.child.stdin!;
    stdin.cork();
    stdin.write(len(h.length)); stdin.write(h); stdin.write(len(payload.length)); stdin.write(payload);
    stdin.uncork();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => this.pending.push({ resolve, reject }));
    this.busy();
    return answer;
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 4) {
      const n = this.buffered.readUInt32LE(0);
      if (this.buffered.length < 4 + n) return;
      let body: { ok: boolean; error?: { kind: string } & Record<string, unknown> };
      try {
        body = JSON.parse(this.buffered.subarray(4, 4 + n).toString());
      } catch {
        // out of step with the process: fail what is pending with a typed error, end it
        const e = new NativeProtocolError({ reason: `unreadable response: ${this.buffered.subarray(4, Math.min(4 + n, 200)).toString()}` });
        for (const p of this.pending.splice(0)) p.reject(e);
        this.child.kill();
        return;
      }
      this.buffered = this.buffered.subarray(4 + n);
      const p = this.pending.shift();
      if (!p) continue;
      if (this.pending.length === 0) this.idle();
      if (body.ok) p.resolve(body as Record<string, unknown>);
      else p.reject(nativeError(body.error!));
    }
  }

  private fail(e: NativeProverExitedError): void {
    this.exited ??= e;
    for (const p of this.pending.splice(0)) p.reject(this.exited);
  }

  // An idle prover process keeps nothing alive: Node may exit, and the child then sees its
  // input close and exits too. While a proof is pending, it holds the event loop open.
  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
  }
}

/** The TypeScript error for an error the native prover reported. */
export function nativeError(e: { kind: string } & Record<string, unknown>): Error {
  const make = NATIVE_ERRORS[e.kind as NativeErrorKind] as ((f: Record<string, unknown>) => Error) | undefined;
  return make ? make(e) : new NativeProtocolError({ reason: `unknown error kind ${e.kind}: ${String(e.message)}` });
}
