// The flat constraint store and the streamed .r1cs writer (issue 17: a multi-million-constraint
// circuit must fit the JavaScript heap): every coefficient kind round-trips through the store, and
// the file's bytes, parsed back, are the system's constraints over wires.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { P, SymbolicSystem, mod, type Lc } from './system.js';
import { r1csFile, wireMap } from './files.js';

const lc = (...terms: [number, bigint][]): Lc => new Map(terms.map(([l, k]) => [l, mod(k)]));
// Small, negative, at and beyond 2^53 either way, near P, and P - 1 (-1 as a field element).
const COEFFICIENTS = [1n, 2n, -1n, -7n, (1n << 52n) + 3n, -(1n << 52n) - 5n, 1n << 53n, -(1n << 53n), (1n << 64n) + 9n, P - 1n, P >> 1n, (P >> 1n) + 1n, 3n ** 100n];

function system(): { cs: SymbolicSystem; want: { a: Lc; b: Lc; c: Lc }[] } {
  const cs = new SymbolicSystem();
  cs.reserve(2); // two public outputs
  for (let i = 0; i < 8; i++) cs.alloc();
  cs.firstInternal = 3;
  const want: { a: Lc; b: Lc; c: Lc }[] = [];
  COEFFICIENTS.forEach((k, i) => {
    // terms given out of label order: the store sorts them
    const c = { a: lc([5 + (i % 4), k], [3, -k], [0, k + 1n]), b: lc([4, 1n]), c: lc() };
    cs.constrain(c.a, c.b, c.c);
    want.push(c);
  });
  return { cs, want };
}

test('constraint store: every coefficient kind (small, negative, beyond 2^53, near P) reads back as stored, terms in label order', () => {
  const { cs, want } = system();
  assert.equal(cs.store.count, COEFFICIENTS.length);
  cs.constraints.forEach((c, i) => {
    for (const j of ['a', 'b', 'c'] as const) {
      assert.deepEqual(c[j], want[i]![j]);
      const labels: number[] = [];
      cs.store.forEachTerm(i, ({ a: 0, b: 1, c: 2 } as const)[j], (l) => labels.push(l));
      assert.deepEqual(labels, [...labels].sort((x, y) => x - y));
    }
  });
});

/** The constraint section of an .r1cs file: per constraint three maps of wire to coefficient. */
function parse(file: Buffer): { nConstraints: number; constraints: Map<number, bigint>[][] } {
  let pos = 12;
  const sections = new Map<number, Buffer>();
  while (pos < file.length) {
    const size = Number(file.readBigUInt64LE(pos + 4));
    sections.set(file.readUInt32LE(pos), file.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  const header = sections.get(1)!, body = sections.get(2)!;
  const nConstraints = header.readUInt32LE(4 + 32 + 24);
  let p = 0;
  const field = () => { let v = 0n; for (let i = 3; i >= 0; i--) v = (v << 64n) | body.readBigUInt64LE(p + 8 * i); p += 32; return v; };
  const constraints = Array.from({ length: nConstraints }, () => Array.from({ length: 3 }, () => {
    const out = new Map<number, bigint>();
    const n = body.readUInt32LE(p); p += 4;
    for (let t = 0; t < n; t++) { const wire = body.readUInt32LE(p); p += 4; out.set(wire, field()); }
    return out;
  }));
  assert.equal(p, body.length, 'no trailing bytes in the constraint section');
  return { nConstraints, constraints };
}

test('streamed .r1cs: the file parsed back is every constraint over wires, after an elimination, with the section sizes right', () => {
  const { cs } = system();
  cs.bindPublic(1, lc([10, 3n], [4, 1n])); // eliminates label 10, read by three of the constraints
  const eliminated = cs.finish();
  assert.deepEqual(eliminated, [10]);
  const map = wireMap(cs.labels, eliminated);
  const file = Buffer.concat([...r1csFile(cs.store, cs.labels, eliminated, { publicOutputs: 2, publicInputs: 0, privateInputs: 0 })]);
  const { nConstraints, constraints } = parse(file);
  assert.equal(nConstraints, cs.store.count);
  cs.constraints.forEach((c, i) => {
    [c.a, c.b, c.c].forEach((x, j) => {
      assert.equal(x.has(10), false, 'the eliminated label is substituted');
      assert.deepEqual(constraints[i]![j], new Map([...x].map(([l, k]) => [map[l]!, k])));
    });
  });
});
