// A circom witness generator kept warm and off the event loop: its WebAssembly is compiled and
// instantiated once, on a worker thread of its own (witness-worker.mjs), and reused for every
// witness (snarkjs.wtns.calculate compiles and instantiates it again per witness, on the main
// thread: ~48 s per proof for the 499k CNN's 13 parts cold, ~10 s warm; FIELD-NOTES). So a
// node's event loop, and a proving worker's queue lock renewal, keep running during a witness.
import { Worker } from 'node:worker_threads';
import { utils } from 'ffjavascript';

type Waiting = { resolve: (w: Uint8Array) => void; reject: (e: Error) => void };

/** The witness worker thread ended (terminated, out of memory) with a witness pending. */
export class WitnessWorkerExitedError extends Error {
  override name = 'WitnessWorkerExitedError';
}

/**
 * One circuit's witness generator, started on first use and kept. Calls are queued: the
 * instance holds one witness at a time. An idle generator does not hold the process open.
 *
 * @example
 * const generator = new WitnessGenerator(readFileSync('build/spam/circuit_js/circuit.wasm'))
 * const wtns = await generator.calculate({ u: [...], binding: '0' })  // .wtns bytes
 */
export class WitnessGenerator {
  private worker?: Worker;
  private waiting?: Waiting;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly wasm: Uint8Array) {}

  /** The witness for `inputs` (signal name to value or nested arrays of values), as a .wtns file. */
  calculate(inputs: Record<string, unknown>): Promise<Uint8Array> {
    const run = () => this.run(inputs);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  /** Ends the worker thread (a later witness starts another). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  private run(inputs: Record<string, unknown>): Promise<Uint8Array> {
    const worker = (this.worker ??= this.start());
    worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting = { resolve, reject };
      worker.postMessage({ inputs: utils.unstringifyBigInts(inputs) });
    }).finally(() => worker.unref());
  }

  private start(): Worker {
    // `mod: 'data:,'`: circom_runtime imports ffjavascript, which imports the `web-worker`
    // package; in any worker thread that package takes itself for its own worker and loads
    // workerData.mod (printing a TypeError when there is none). An empty script keeps it quiet.
    const worker = new Worker(new URL('./witness-worker.mjs', import.meta.url), { workerData: { wasm: this.wasm, mod: 'data:,' } });
    const settle = (f: (w: Waiting) => void) => { const w = this.waiting; this.waiting = undefined; if (w) f(w); };
    worker.on('message', (m: { witness?: Uint8Array; error?: string }) => settle((w) => (m.witness ? w.resolve(m.witness) : w.reject(new Error(m.error)))));
    worker.on('error', (e) => settle((w) => w.reject(e)));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      settle((w) => w.reject(new WitnessWorkerExitedError(`the witness worker exited with code ${code}`)));
    });
    worker.unref();
    return worker;
  }
}
