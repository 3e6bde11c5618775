import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileModel, inferQuantized, packInputs, Prover, quantizeInput, releaseCurves, verifyProofFile } from './exports.js';
import { TINY_ONNX, tinySamples } from './fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'verity-visibility-'));
after(releaseCurves);

test('--input public puts the packed input among the public signals; --input private leaves it out', async () => {
  const calibration = tinySamples(16, 3);
  const x = tinySamples(1, 41)[0]!;
  const committed = await compileModel(TINY_ONNX, { out: join(scratch, 'committed'), calibration, setup: false });
  for (const input of ['public', 'private'] as const) {
    const dir = join(scratch, input);
    const report = await compileModel(TINY_ONNX, { out: dir, calibration, input });
    assert.equal(report.layout.inputVisibility, input);
    const prover = await Prover.load(dir);
    const file = await prover.prove({ input: x }, 9n);
    assert.equal(await verifyProofFile(dir, file), true);
    const u = quantizeInput(prover.compiled.model, x);
    const words = report.layout.outputWords;
    if (input === 'public') {
      assert.equal(report.layout.publicSignals, words + report.layout.inputChunks + 1);
      assert.deepEqual(file.publicSignals.slice(words, words + report.layout.inputChunks).map(BigInt), packInputs(report.layout, u));
      // Claiming another input in the public signals fails verification.
      const other = [...file.publicSignals];
      other[words] = (BigInt(other[words]!) ^ 1n).toString();
      assert.equal(await verifyProofFile(dir, { ...file, publicSignals: other }), false);
      // No Poseidon: fewer constraints than the committed circuit.
      assert.ok(report.constraints < committed.constraints, `${report.constraints} vs ${committed.constraints}`);
    } else {
      assert.equal(report.layout.publicSignals, words + 1);
      assert.equal(file.inputCommitment, undefined);
    }
    assert.deepEqual(file.outputIntegers.map(BigInt), inferQuantized(prover.compiled.model, u));
  }
});
