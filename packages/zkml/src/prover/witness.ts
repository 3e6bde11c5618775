// Witness generators kept warm and off the event loop, each on a worker thread of its own. A
// circom one (witness-worker.mjs) compiles and instantiates its WebAssembly once and reuses it
// for every witness (snarkjs.wtns.calculate compiles and instantiates it again per witness, on
// the main thread: ~48 s per proof for the 499k CNN's 13 parts cold, ~10 s warm; FIELD-NOTES);
// the r1cs backend's (r1cs-witness-worker.mjs) keeps its circuit in the worker. So a node's
// event loop, and a proving worker's queue lock renewal, keep running during a witness.
import { Worker } from 'node:worker_threads';
import { utils } from 'ffjavascript';
import type { InputVisibility } from '../io/layout.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import type { R1csWeights } from '../r1cs/circuit.js';
import type { EliminatedFile } from '../r1cs/compile.js';
import { RangeOverflowError } from '../errors/compile.js';
import { WitnessCalculationError, WitnessWorkerExitedError } from '../errors/witness.js';

type Waiting = { resolve: (w: Uint8Array) => void; reject: (e: Error) => void };

/**
 * A witness generator on a worker thread of its own, started on first use and kept. Calls are
 * queued: the worker computes one witness at a time. An idle generator does not hold the
 * process open.
 */
class WitnessThread {
  private worker?: Worker;
  private waiting?: Waiting;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly script: URL, private readonly data: Record<string, unknown>) {}

  /** Ends the worker thread (a later witness starts another). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  /** Queues one message for the worker; resolves with the .wtns bytes it answers. */
  protected request(message: unknown): Promise<Uint8Array> {
    const run = () => this.run(message);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private run(message: unknown): Promise<Uint8Array> {
    const worker = (this.worker ??= this.start());
    worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting = { resolve, reject };
      worker.postMessage(message);
    }).finally(() => worker.unref());
  }

  private start(): Worker {
    // `mod: 'data:,'`: circom_runtime and circomlibjs import ffjavascript, which imports the
    // `web-worker` package; in any worker thread that package takes itself for its own worker
    // and loads workerData.mod (printing a TypeError when there is none). An empty script
    // keeps it quiet.
    const worker = new Worker(this.script, { workerData: { ...this.data, mod: 'data:,' } });
    const settle = (f: (w: Waiting) => void) => { const w = this.waiting; this.waiting = undefined; if (w) f(w); };
    // A range check the witness cannot meet (r1cs backend) keeps its type across the thread.
    worker.on('message', (m: { witness?: Uint8Array; error?: string; range?: ConstructorParameters<typeof RangeOverflowError>[0] }) =>
      settle((w) => (m.witness ? w.resolve(m.witness) : w.reject(m.range ? new RangeOverflowError(m.range) : new WitnessCalculationError({ reason: m.error ?? 'no reason given' })))));
    worker.on('error', (e) => settle((w) => w.reject(e)));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      settle((w) => w.reject(new WitnessWorkerExitedError({ code })));
    });
    worker.unref();
    return worker;
  }
}

/**
 * One circom circuit's witness generator: its WebAssembly instantiated once, on the worker.
 *
 * @example
 * const generator = new WitnessGenerator(readFileSync('build/spam/circuit_js/circuit.wasm'))
 * const wtns = await generator.calculate({ u: [...], binding: '0' })  // .wtns bytes
 */
export class WitnessGenerator extends WitnessThread {
  constructor(wasm: Uint8Array) {
    super(new URL('./witness-worker.mjs', import.meta.url), { wasm });
  }

  /** The witness for `inputs` (signal name to value or nested arrays of values), as a .wtns file. */
  calculate(inputs: Record<string, unknown>): Promise<Uint8Array> {
    return this.request({ inputs: utils.unstringifyBigInts(inputs) });
  }
}

/**
 * The r1cs backend's witness (src/r1cs/witness.ts, TypeScript over the quantised program) on
 * a worker thread: for the 499k CNN it takes seconds of pure computation, which on the main
 * thread would stall a node's event loop and its proving worker's lock renewals.
 *
 * @example
 * const generator = new R1csWitnessGenerator({ model, visibility: 'committed', eliminated, weights: 'constant' })
 * const wtns = await generator.calculate(u, 0n)
 */
export class R1csWitnessGenerator extends WitnessThread {
  constructor(circuit: { model: QuantizedModel; visibility: InputVisibility; eliminated: EliminatedFile; weights: R1csWeights }) {
    super(new URL('./r1cs-witness-worker.mjs', import.meta.url), circuit);
  }

  /** The witness for an encoded input and a request binding, as a .wtns file. */
  calculate(u: readonly bigint[], binding: bigint): Promise<Uint8Array> {
    return this.request({ u, binding });
  }
}
