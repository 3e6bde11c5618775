// One circuit's witness generator on a worker thread (see witness.ts): the WebAssembly is
// instantiated once, here, and each message computes one witness, answered with the .wtns
// bytes. witness.ts sends one message at a time, its values already bigints. Plain JavaScript,
// so it runs in any worker whatever loader the main thread uses.
import { parentPort, workerData } from 'node:worker_threads';
import { WitnessCalculatorBuilder } from 'circom_runtime';

const calculator = WitnessCalculatorBuilder(workerData.wasm);
parentPort.on('message', async ({ inputs }) => {
  try {
    const witness = await (await calculator).calculateWTNSBin(inputs, false);
    parentPort.postMessage({ witness }, [witness.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
