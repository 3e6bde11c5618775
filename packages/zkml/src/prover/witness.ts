// A circom witness generator kept warm: its WebAssembly is compiled and instantiated once, on
// the first witness, and reused (snarkjs.wtns.calculate compiles and instantiates it again for
// every witness: ~48 s per proof for the 499k CNN's 13 parts cold, ~10 s warm; FIELD-NOTES).
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { utils } from 'ffjavascript';

type Calculator = { calculateWTNSBin(input: unknown, sanityCheck?: boolean): Promise<Uint8Array> };

/**
 * One circuit's witness generator, instantiated on first use and kept. Calls are queued: the
 * instance holds one witness at a time, and its calculation yields between computing the
 * witness and reading it out.
 *
 * @example
 * const generator = new WitnessGenerator(readFileSync('build/spam/circuit_js/circuit.wasm'))
 * const wtns = await generator.calculate({ u: [...], binding: '0' })  // .wtns bytes
 */
export class WitnessGenerator {
  private calculator?: Promise<Calculator>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly wasm: Uint8Array) {}

  /** The witness for `inputs` (signal name to value or nested arrays of values), as a .wtns file. */
  calculate(inputs: Record<string, unknown>): Promise<Uint8Array> {
    const run = async () => {
      this.calculator ??= WitnessCalculatorBuilder(this.wasm) as Promise<Calculator>;
      return (await this.calculator).calculateWTNSBin(utils.unstringifyBigInts(inputs), false);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }
}
