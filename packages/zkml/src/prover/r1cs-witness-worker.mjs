// The r1cs backend's witness on a worker thread (see witness.ts): the circuit (model, input
// visibility, weights, eliminated labels) comes once in workerData, each message is one
// witness ({ u, binding }), answered with the .wtns bytes. The witness code is TypeScript: this
// plain module registers tsx in the worker (the CLI registers it on its main thread only).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { r1csWitness } = await import('../r1cs/witness.ts');
const { model, visibility, eliminated, weights } = workerData;
parentPort.on('message', ({ u, binding }) => {
  try {
    // A copy in an ArrayBuffer of its own: a small Buffer lives in Node's shared pool, which
    // must not be transferred.
    const witness = new Uint8Array(r1csWitness(model, visibility, eliminated, u, binding, weights));
    parentPort.postMessage({ witness }, [witness.buffer]);
  } catch (e) {
    const range = e?.name === 'RangeOverflowError' ? { where: e.where, bits: e.bits, value: e.value } : undefined;
    parentPort.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), range });
  }
});
