// A model compiled in parts (circom2 cannot hold ~500k constraints in one compilation) and
// linked into one circuit: it proves and verifies as one, and the linking is sound.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as snarkjs from 'snarkjs';
import {
  ArtefactError, generateShards, loadCompiled, importGraph, inferQuantized, LinkedWitness, loadOnnx, Prover, quantize, quantizeInput, readR1cs, releaseCurves, verifyProofFile,
  type CompiledModel, type LinkFile,
} from './exports.js';
import { cnnSamples, shardedCompiled, smallCnn } from './fixtures.js';

let compiled: CompiledModel;
let prover: Prover;
let link: LinkFile;
const tmp = mkdtempSync(join(tmpdir(), 'verity-shard-'));
const silent = { info() {}, warn() {}, error() {}, debug() {} };

before(async () => {
  compiled = (await shardedCompiled()).compiled;
  prover = await Prover.load(compiled.dir);
  link = compiled.link!;
});
after(releaseCurves);

/** The linked witness for `x`, with some handed-on values replaced; checked against the linked r1cs. */
async function linkedWitness(x: number[], handOn?: Map<number, bigint>) {
  const u = quantizeInput(compiled.model, x);
  const witness = await LinkedWitness.load(compiled.dir, link, readFileSync(compiled.path('wasm'))).calculate(prover.circuitInputs(u, 5n), u, handOn);
  const file = join(tmp, `w-${Math.random().toString(36).slice(2)}.wtns`);
  writeFileSync(file, witness);
  return { file, satisfied: await snarkjs.wtns.check(compiled.path('r1cs'), file, silent) };
}

test('a model compiled in parts is one circuit: a head and a part per step chunk, linked into one r1cs', () => {
  const { shards, constraints } = compiled.report;
  // The head, then one part per step: the conv with its ReLU, and the Gemm with the Sigmoid
  // (lowered to a requantisation, the lower clamp and a piecewise-linear step: the upper clamp
  // is below zero for every input of the calibrated range, so it is the constant 0).
  assert.equal(shards!.parts, 5);
  assert.equal(link.parts.length, 4);
  assert.equal(shards!.constraintsPerPart.reduce((a, b) => a + b, 0), constraints);
  const r1cs = readR1cs(compiled.path('r1cs'));
  assert.equal(r1cs.nConstraints, constraints);
  assert.equal(r1cs.nWires, link.wires);
  // Public signals as in a one-piece circuit: the packed outputs, the input commitment, the binding.
  assert.equal(r1cs.nPubOut + r1cs.nPubIn, compiled.report.layout.publicSignals);
  // Each part hands on exactly what later parts and the head read.
  const later = (p: number) => new Set([...link.parts.slice(p + 1).flatMap((q) => q.inputs), ...link.z]);
  link.parts.forEach((part, p) => assert.deepEqual(part.outputs, part.outputs.filter((id) => later(p).has(id))));
});

test('opening a model compiled in parts names a missing part file', () => {
  const copy = join(tmp, 'missing-part');
  cpSync(compiled.dir, copy, { recursive: true });
  rmSync(join(copy, link.parts[1]!.map));
  assert.throws(() => loadCompiled(copy), (e) => e instanceof ArtefactError && e.message.includes(link.parts[1]!.map));
});

test('its proof verifies and carries the integer model\'s outputs, and the linked witness satisfies every constraint', async () => {
  for (const x of cnnSamples(3, 6, 9)) {
    const proof = await prover.prove({ input: x }, 77n);
    assert.deepEqual(proof.outputIntegers, inferQuantized(compiled.model, quantizeInput(compiled.model, x)).map(String));
    assert.equal(proof.publicSignals.length, compiled.report.layout.publicSignals);
    assert.equal(proof.publicSignals.at(-1), '77');
    assert.equal(await verifyProofFile(compiled.dir, proof), true);
  }
  assert.equal((await linkedWitness(cnnSamples(1, 6, 4)[0]!)).satisfied, true);
});

test('linking is sound: a part that hands on another value than it computed breaks the witness, and its proof fails', async () => {
  const x = cnnSamples(1, 6, 5)[0]!;
  // One handed-on signal per part: into the next part, and (the last part) into the head's outputs.
  for (const part of link.parts) {
    const id = part.outputs[0]!;
    const { satisfied } = await linkedWitness(x, new Map([[id, 1n]]));
    assert.equal(satisfied, false, `signal ${id} handed on as 1`);
  }
  const { file } = await linkedWitness(x, new Map([[link.z[0]!, 12345n]]));
  const { proof, publicSignals } = await snarkjs.groth16.prove(compiled.path('zkey'), file);
  assert.equal(await verifyProofFile(compiled.dir, { proof, publicSignals }), false);
});

test('a step wider than one template is cut between its chunks; every part reads only signals computed before it, never its own', () => {
  // 17 filters of 8x8 outputs: 1,088 outputs, two chunks of the ReLU step.
  const model = quantize(importGraph(loadOnnx(smallCnn(17, 10), { batch: 1 })), { calibration: cnnSamples(4, 10) });
  const sharded = generateShards(model, 'committed', 1);
  assert.equal(sharded.parts.length, 6, 'two ReLU chunks, then the Gemm and the Sigmoid\'s four steps');
  const known = new Set(Array.from({ length: 100 }, (_, i) => i));
  for (const part of sharded.parts) {
    for (const id of part.inputs) assert.ok(known.has(id), `signal ${id} is read before it is computed`);
    for (const id of part.outputs) known.add(id);
  }
  for (const id of sharded.z) assert.ok(known.has(id));
  assert.equal(sharded.parts[1]!.inputs.every((id) => id < 100), true, 'the second ReLU chunk reads only the input');
  assert.equal(sharded.parts[2]!.inputs.length, 1088, 'the Gemm reads both ReLU chunks');
  assert.match(sharded.head, /component main \{public \[binding, u, z\]\} = Model\(\);/);
  // With room for everything a part still ends where a chunk would read what the part computed
  // (circom would substitute bit decompositions into every form reading it): both ReLU chunks
  // share the first part; so do the Sigmoid's two clamps, which both read only the Gemm.
  const roomy = generateShards(model, 'committed', 1e9);
  assert.equal(roomy.parts.length, 4);
  assert.equal(roomy.parts[0]!.outputs.length, 1088);
  for (const part of roomy.parts) assert.ok(part.inputs.every((id) => !part.outputs.includes(id)));
});
