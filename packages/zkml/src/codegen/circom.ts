import type { IntForm, Step } from '../lower/steps.js';
import { outputsOf, stepConstraints } from '../lower/steps.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { weightValues } from '../io/commit.js';
import { layoutOf, packedRange, type InputVisibility } from '../io/layout.js';

/**
 * `constant`: weights are circuit constants, pinned by the verifying key; a linear layer
 * costs no multiplicative constraint. `signals`: weights are private witness values, one
 * constraint per multiplication (the usual circom zkML encoding, kept as a baseline).
 * `committed`: weights (coefficients and constants of every weighted step) are private
 * witness values bound by a Poseidon commitment that seeds the input commitment, so the
 * circuit, the keys and the verifier do not contain them and the registry pins their hash.
 */
export type WeightEncoding = 'constant' | 'signals' | 'committed';

const list = (xs: readonly (bigint | number)[]) => `[${xs.join(',')}]`;

/**
 * Flattened forms: coefficients, signal indices, offsets and constants, as circom var arrays.
 * `hide` writes zeros for the coefficients and constants (they come from private inputs).
 */
function formArrays(tag: string, forms: readonly IntForm[], hide = false): string[] {
  const K: bigint[] = [], I: number[] = [], O: number[] = [0];
  for (const f of forms) { K.push(...(hide ? f.k.map(() => 0n) : f.k)); I.push(...f.i); O.push(K.length); }
  // circom rejects zero-length arrays: pad with one unused entry.
  if (K.length === 0) { K.push(0n); I.push(0); }
  return [
    `    var K${tag}[${K.length}] = ${list(K)};`,
    `    var I${tag}[${I.length}] = ${list(I)};`,
    `    var O${tag}[${O.length}] = ${list(O)};`,
    `    var C${tag}[${forms.length}] = ${list(forms.map((f) => (hide ? 0n : f.c)))};`,
  ];
}

/** Loop that leaves the value of form `o` of `tag` in `acc${tag}` (a linear expression). */
const accumulate = (tag: string, prod?: string, src = 'w', constants = `C${tag}`) => prod
  ? `        var acc${tag} = ${constants}[o];\n        for (var j = O${tag}[o]; j < O${tag}[o + 1]; j++) { ${prod}[j] <== W${tag}[j] * ${src}[I${tag}[j]]; acc${tag} += ${prod}[j]; }`
  : `        var acc${tag} = C${tag}[o];\n        for (var j = O${tag}[o]; j < O${tag}[o + 1]; j++) { acc${tag} += K${tag}[j] * ${src}[I${tag}[j]]; }`;

function pwlTemplate(k: number, s: Extract<Step, { kind: 'pwl' }>): string {
  const low = s.k - s.t;
  return [
    `// ${s.fn} at node "${s.name}": ${2 ** s.t} segments over a ${s.k}-bit window`,
    `template Pwl${k}() {`,
    '    signal input in;',
    '    signal output out;',
    `    var A[${s.A.length}] = ${list(s.A)};`,
    `    var B[${s.B.length}] = ${list(s.B)};`,
    `    component bits = Num2Bits(${s.k});`,
    '    bits.in <== in;',
    '    var seg = 0;',
    '    var r = 0;',
    `    for (var i = 0; i < ${low}; i++) { r += bits.out[i] * 2 ** i; }`,
    `    for (var i = ${low}; i < ${s.k}; i++) { seg += bits.out[i] * 2 ** (i - ${low}); }`,
    `    component dec = Decoder(${2 ** s.t});`,
    '    dec.inp <== seg;',
    '    dec.success === 1;',
    '    var a = 0;',
    '    var b = 0;',
    `    for (var j = 0; j < ${2 ** s.t}; j++) { a += A[j] * dec.out[j]; b += B[j] * dec.out[j]; }`,
    '    out <== a + b * r;',
    '}',
  ].join('\n');
}

const stepComment = (k: number | string, s: Step) => `    // step ${k}: ${s.kind}${s.kind === 'requant' ? ` ${s.act}` : ''} at node "${s.name}", ${outputsOf(s)} outputs`;

/** Where a step block reads signals from and writes its outputs to. */
type Wiring = { src: string; dst: (o: string) => string };
const GLOBAL = (s: Step): Wiring => ({ src: 'w', dst: (o) => `w[${s.out} + ${o}]` });

function stepCode(k: number | string, s: Step, encoding: WeightEncoding, wiring: Wiring = GLOBAL(s)): string[] {
  const n = outputsOf(s);
  const t = `${k}`;
  const lines = [stepComment(k, s)];
  switch (s.kind) {
    case 'requant': {
      const asSignals = encoding !== 'constant' && s.weights;
      const secret = encoding === 'committed' && s.weights;
      lines.push(...formArrays(t, s.forms, secret));
      lines.push(`    var B${t}[${n}] = ${list(s.bits)};`, `    var S${t}[${n}] = ${list(s.shift)};`);
      if (asSignals) {
        const T = Math.max(1, s.forms.reduce((a, f) => a + f.k.length, 0));
        lines.push(`    signal input W${t}[${T}];`, `    signal P${t}[${T}];`);
      }
      if (secret) lines.push(`    signal input Cb${t}[${n}];`);
      const tpl = s.act === 'relu' ? `ReluRequant(B${t}[o], S${t}[o])` : s.act === 'sign' ? `Sign(B${t}[o])` : `Requant(B${t}[o], S${t}[o])`;
      lines.push(
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(t, asSignals ? `P${t}` : undefined, wiring.src, secret ? `Cb${t}` : `C${t}`),
        `        c${t}[o] = ${tpl};`,
        `        c${t}[o].in <== acc${t};`,
        `        ${wiring.dst('o')} <== c${t}[o].out;`,
        '    }',
      );
      return lines;
    }
    case 'pwl':
      lines.push(...formArrays(t, s.forms),
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(t, undefined, wiring.src),
        `        c${t}[o] = Pwl${String(k).split('_')[0]}();`,
        `        c${t}[o].in <== acc${t};`,
        `        ${wiring.dst('o')} <== c${t}[o].out;`,
        '    }');
      return lines;
    case 'product':
      lines.push(...formArrays(`${t}a`, s.a), ...formArrays(`${t}b`, s.b),
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(`${t}a`, undefined, wiring.src),
        accumulate(`${t}b`, undefined, wiring.src),
        `        ${wiring.dst('o')} <== acc${t}a * acc${t}b;`,
        '    }');
      return lines;
    case 'argmax': {
      const g = s.groups[0]!.length;
      lines.push(...formArrays(t, s.groups.flat()),
        `    component c${t}[${n}];`,
        `    for (var q = 0; q < ${n}; q++) {`,
        `        c${t}[q] = ArgMax(${g}, ${s.bits});`,
        `        for (var e = 0; e < ${g}; e++) {`,
        `            var o = q * ${g} + e;`,
        accumulate(t, undefined, wiring.src).replace(/^ {8}/gm, '            '),
        `            c${t}[q].in[e] <== acc${t};`,
        '        }',
        `        ${wiring.dst('q')} <== c${t}[q].out;`,
        '    }');
      return lines;
    }
    case 'div':
      lines.push(...formArrays(`${t}n`, s.num), ...formArrays(`${t}d`, s.den),
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(`${t}n`, undefined, wiring.src),
        accumulate(`${t}d`, undefined, wiring.src),
        `        c${t}[o] = DivFloor(${s.qBits}, ${s.rBits});`,
        `        c${t}[o].num <== acc${t}n;`,
        `        c${t}[o].den <== acc${t}d;`,
        `        ${wiring.dst('o')} <== c${t}[o].q;`,
        '    }');
      return lines;
    case 'iszero': case 'rsqrt': {
      const tpl = s.kind === 'iszero' ? 'IsZeroOut()' : `RSqrt(${s.K}, ${s.rBits}, ${s.slackBits})`;
      lines.push(...formArrays(t, s.forms),
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(t, undefined, wiring.src),
        `        c${t}[o] = ${tpl};`,
        `        c${t}[o].in <== acc${t};`,
        `        ${wiring.dst('o')} <== c${t}[o].out;`,
        '    }');
      return lines;
    }
  }
}

/** Terms and outputs per generated step template: keeps every witness function well below V8's 7.6 MB WebAssembly function limit. */
const CHUNK_TERMS = 16_000;
const CHUNK_OUTPUTS = 1_024;

/** The forms output `o` of a step reads. */
function formsAt(s: Step, o: number): IntForm[] {
  switch (s.kind) {
    case 'requant': case 'pwl': case 'iszero': case 'rsqrt': return [s.forms[o]!];
    case 'product': return [s.a[o]!, s.b[o]!];
    case 'argmax': return s.groups[o]!;
    case 'div': return [s.num[o]!, s.den[o]!];
  }
}

/** Outputs [from, to) of a step, reading signals through `local` and writing from 0. */
function sliceStep(s: Step, from: number, to: number, local: (id: number) => number): Step {
  const re = (f: IntForm): IntForm => ({ c: f.c, k: f.k, i: f.i.map(local) });
  const pick = <T>(xs: readonly T[]) => xs.slice(from, to);
  switch (s.kind) {
    case 'requant': return { ...s, out: 0, forms: pick(s.forms).map(re), shift: pick(s.shift), bits: pick(s.bits) };
    case 'pwl': case 'iszero': case 'rsqrt': return { ...s, out: 0, forms: pick(s.forms).map(re) };
    case 'product': return { ...s, out: 0, a: pick(s.a).map(re), b: pick(s.b).map(re) };
    case 'argmax': return { ...s, out: 0, groups: pick(s.groups).map((g) => g.map(re)) };
    case 'div': return { ...s, out: 0, num: pick(s.num).map(re), den: pick(s.den).map(re) };
  }
}

/** Outputs [from, to) of step `k` as one generated template that reads the signals `ids`. */
export type StepChunk = { k: number; c: number; step: Step; from: number; to: number; ids: number[]; template: string[]; constraints: number; terms: number };

/**
 * A step as templates of bounded size, each taking exactly the signals it reads: circom
 * compiles one witness function per template, and one function for a whole convolution
 * would exceed what V8 accepts.
 */
export function stepChunks(k: number, s: Step): StepChunk[] {
  const n = outputsOf(s);
  const chunks: StepChunk[] = [];
  let from = 0;
  for (let c = 0; from < n; c++) {
    let to = from, terms = 0;
    while (to < n && to - from < CHUNK_OUTPUTS) {
      const t = formsAt(s, to).reduce((a, f) => a + f.i.length + 1, 0);
      if (to > from && terms + t > CHUNK_TERMS) break;
      terms += t;
      to++;
    }
    const ids = [...new Set(Array.from({ length: to - from }, (_, o) => formsAt(s, from + o).flatMap((f) => f.i)).flat())].sort((a, b) => a - b);
    if (ids.length === 0) ids.push(0);
    const local = new Map(ids.map((id, j) => [id, j]));
    const sub = sliceStep(s, from, to, (id) => local.get(id)!);
    const template = [
      `template Step${k}_${c}() {`,
      `    signal input x[${ids.length}];`,
      `    signal output y[${to - from}];`,
      ...stepCode(`${k}_${c}`, sub, 'constant', { src: 'x', dst: (o) => `y[${o}]` }).slice(1),
      '}',
      '',
    ];
    chunks.push({ k, c, step: s, from, to, ids, template, constraints: stepConstraints(sub), terms });
    from = to;
  }
  return chunks;
}

/** Wires a chunk into the signal array `w`, where signal `id` of the model sits at `at(id)`. */
function chunkBody(ch: StepChunk, at: (id: number) => number = (id) => id): string[] {
  const t = `${ch.k}_${ch.c}`;
  const R = ch.ids.map(at);
  return [
    `    component s${t} = Step${t}();`,
    `    var R${t}[${R.length}] = ${list(R)};`,
    `    for (var i = 0; i < ${R.length}; i++) { s${t}.x[i] <== w[R${t}[i]]; }`,
    `    for (var o = 0; o < ${ch.to - ch.from}; o++) { w[${at(ch.step.out + ch.from)} + o] <== s${t}.y[o]; }`,
  ];
}

/**
 * Emits the circom source for a quantised model: input commitment, one block per step of
 * the integer program over the signal array `w`, output packing and the request binding.
 * Public signals, in order: the packed output words, the input commitment, the request
 * binding.
 *
 * With `head` (a sharded circuit, see {@link generateShards}) the steps are left out: the
 * model's output signals `head.z` come in as private inputs `z`, which linking identifies
 * with the wires of the parts that compute them.
 *
 * @example
 * fs.writeFileSync('circuit.circom', generateCircuit(quantized))
 */
export function generateCircuit(model: QuantizedModel, encoding: WeightEncoding = 'constant', inputVisibility: InputVisibility = 'committed', head?: { z: readonly number[] }): string {
  const layout = layoutOf(model, inputVisibility);
  const range = packedRange(layout.inputWidth, model.inputBounds);
  const groups = model.steps.filter((s) => s.kind === 'argmax');
  if (groups.some((s) => s.groups.some((g) => g.length !== s.groups[0]!.length))) throw new Error('internal: ragged ArgMax groups');
  if (head && encoding !== 'constant') throw new Error('internal: only constant weights are sharded');
  const half = 2n ** BigInt(model.outputBits - 1);
  // Weights as signals (the baseline) stay in one template: it is only built for small models.
  const steps = head ? [] : model.steps;
  const chunks = steps.map((s, k) => (encoding === 'constant' ? stepChunks(k, s) : undefined));
  if (encoding === 'committed' && inputVisibility !== 'committed') throw new Error('internal: committed weights seed the input commitment; they need --input committed');
  const secret = encoding === 'committed' ? weightValues(model) : undefined;
  const zAt = new Map((head?.z ?? []).map((id, j) => [id, layout.inputCount + j]));
  const at = (id: number) => (head && id >= layout.inputCount ? zAt.get(id)! : id);
  const out: string[] = [
    'pragma circom 2.1.6;',
    '// Generated by the Verity zkML compiler. Do not edit.',
    'include "verity.circom";',
    '',
    ...steps.flatMap((s, k) => (s.kind === 'pwl' ? [pwlTemplate(k, s), ''] : [])),
    ...chunks.flatMap((c) => c?.flatMap((ch) => ch.template) ?? []),
    'template Model() {',
    // A head's inputs are all public in its own compilation, so circom keeps their wires for
    // linking; the linked circuit makes only the binding public (it comes first for that).
    ...(head
      ? ['    signal input binding;', `    signal input u[${layout.inputCount}];`, ...(head.z.length > 0 ? [`    signal input z[${head.z.length}];`] : [])]
      : [`    signal input u[${layout.inputCount}];`, '    signal input binding;']),
    `    signal output out[${layout.outputWords}];`,
    ...(inputVisibility === 'committed' ? ['    signal output inputCommitment;'] : inputVisibility === 'public' ? [`    signal output inputChunks[${layout.inputChunks}];`] : []),
    `    signal w[${head ? layout.inputCount + head.z.length : model.signalCount}];`,
    ...(head && head.z.length > 0 ? [`    for (var j = 0; j < ${head.z.length}; j++) { w[${layout.inputCount} + j] <== z[j]; }`] : []),
    '',
    ...(inputVisibility === 'committed'
      ? [
        `    component commit = InputCommit(${layout.inputCount}, ${layout.inputWidth}, ${layout.inputsPerChunk}, ${range.lo}, ${range.bits});`,
        `    for (var i = 0; i < ${layout.inputCount}; i++) { commit.u[i] <== u[i]; w[i] <== u[i]; }`,
        // With committed weights the seed (and so the commitment) is wired after the weights.
        ...(secret ? [] : ['    commit.seed <== 0;', '    inputCommitment <== commit.commitment;']),
      ]
      : [
        // Public: the packed chunks are public signals. Private: only the range checks, which
        // the worst-case bounds of every later step rely on.
        `    component commit = InputPack(${layout.inputCount}, ${layout.inputWidth}, ${layout.inputsPerChunk}, ${range.lo}, ${range.bits});`,
        `    for (var i = 0; i < ${layout.inputCount}; i++) { commit.u[i] <== u[i]; w[i] <== u[i]; }`,
        inputVisibility === 'public'
          ? `    for (var k = 0; k < ${layout.inputChunks}; k++) { inputChunks[k] <== commit.packed[k]; }`
          : `    for (var k = 0; k < ${layout.inputChunks}; k++) { _ <== commit.packed[k]; }`,
      ]),
    '',
  ];
  steps.forEach((s, k) => out.push(...(chunks[k] ? [stepComment(k, s), ...chunks[k].flatMap((ch) => chunkBody(ch))] : stepCode(k, s, encoding)), ''));
  if (secret) {
    // The weights every step read, in weightValues order, into one commitment.
    const L = secret.layout;
    out.push(`    component weights = WeightCommit(${L.coefficients}, ${L.coefficientWidth}, ${L.constants}, ${L.constantWidth});`);
    let a = 0, b = 0;
    for (const st of secret.steps) {
      if (st.coefficients.length > 0) out.push(`    for (var j = 0; j < ${st.coefficients.length}; j++) { weights.coefficients[${a} + j] <== W${st.k}[j]; }`);
      out.push(`    for (var j = 0; j < ${st.constants.length}; j++) { weights.constants[${b} + j] <== Cb${st.k}[j]; }`);
      a += st.coefficients.length; b += st.constants.length;
    }
    if (a === 0) out.push('    weights.coefficients[0] <== 0;');
    if (b === 0) out.push('    weights.constants[0] <== 0;');
    out.push('    commit.seed <== weights.commitment;', '    inputCommitment <== commit.commitment;', '');
  }
  out.push(
    `    var OUT[${model.outputs.length}] = ${list(model.outputs.map(at))};`,
    `    component pack = PackOutputs(${layout.outputCount}, ${layout.outputBits}, ${layout.outputsPerWord});`,
    `    for (var i = 0; i < ${layout.outputCount}; i++) { pack.in[i] <== w[OUT[i]] + ${half}; }`,
    `    for (var k = 0; k < ${layout.outputWords}; k++) { out[k] <== pack.out[k]; }`,
    '',
    '    component bind = Bind();',
    '    bind.binding <== binding;',
    '}',
    '',
    `component main {public [${head ? ['binding', 'u', ...(head.z.length > 0 ? ['z'] : [])].join(', ') : 'binding'}]} = Model();`,
    '',
  );
  return out.join('\n');
}

/** Terms of linear forms per circuit part (see {@link generateShards}). */
export const TERMS_PER_PART = 250_000;

/** One part of a sharded circuit: circom source, the model signals it reads and the ones it hands on. */
export type CircuitPart = { source: string; inputs: number[]; outputs: number[]; constraints: number };

/** A model's circuit in parts that circom compiles separately (see `link.ts`): the head, then the parts in order. */
export type ShardedCircuit = { head: string; z: number[]; parts: CircuitPart[] };

/**
 * Splits a model's circuit into a head (input commitment, output packing, request binding)
 * and parts of about `budget` constraints and at most {@link TERMS_PER_PART} linear terms
 * each, cut between step chunks, and wherever a chunk reads what the part computed. Part `p` takes the
 * model signals it reads from the input or earlier parts as inputs `x` and hands on, as
 * outputs `y`, the signals that later parts or the outputs read. Each compiles alone, so a
 * model far larger than one circom compilation can hold is still proved as one circuit.
 */
export function generateShards(model: QuantizedModel, inputVisibility: InputVisibility, budget: number): ShardedCircuit {
  const inputCount = layoutOf(model, inputVisibility).inputCount;
  const groups: StepChunk[][] = [[]];
  let size = 0, terms = 0;
  let own = new Set<number>();
  for (const [k, s] of model.steps.entries()) {
    for (const ch of stepChunks(k, s)) {
      // A part never reads a signal it computes itself: circom's --O2 would substitute that
      // signal's bit decomposition into every form reading it (a conv over 108 inputs becomes
      // ~1,700 terms per output), and that, not the constraint count, exhausts circom2's 4 GiB.
      // A part's inputs are left as they are.
      // circom2's memory also grows with the terms of the linear forms: a 925k-term convolution
      // in one part (109k constraints) ran it out of memory where 232k terms did not.
      if (size > 0 && (size + ch.constraints > budget || terms + ch.terms > TERMS_PER_PART || ch.ids.some((id) => own.has(id)))) {
        groups.push([]);
        size = 0; terms = 0; own = new Set();
      }
      groups.at(-1)!.push(ch);
      size += ch.constraints;
      terms += ch.terms;
      for (let o = ch.from; o < ch.to; o++) own.add(s.out + o);
    }
  }
  const produced = groups.map((g) => g.flatMap((ch) => Array.from({ length: ch.to - ch.from }, (_, o) => ch.step.out + ch.from + o)));
  const inputs = groups.map((g, p) => {
    const own = new Set(produced[p]);
    return [...new Set(g.flatMap((ch) => ch.ids))].filter((id) => !own.has(id)).sort((a, b) => a - b);
  });
  const z = [...new Set(model.outputs.filter((id) => id >= inputCount))].sort((a, b) => a - b);
  const needed = new Set(z);
  const outputs: number[][] = [];
  for (let p = groups.length - 1; p >= 0; p--) {
    outputs[p] = produced[p]!.filter((id) => needed.has(id));
    for (const id of inputs[p]!) needed.add(id);
  }
  const parts = groups.map((g, p) => {
    const local = new Map([...inputs[p]!, ...produced[p]!].map((id, j) => [id, j]));
    const at = (id: number) => local.get(id)!;
    const ks = [...new Set(g.map((ch) => ch.k))];
    const source = [
      'pragma circom 2.1.6;',
      `// Generated by the Verity zkML compiler. Do not edit. Part ${p + 1} of ${groups.length}.`,
      'include "verity.circom";',
      '',
      ...ks.flatMap((k) => { const s = model.steps[k]!; return s.kind === 'pwl' ? [pwlTemplate(k, s), ''] : []; }),
      ...g.flatMap((ch) => ch.template),
      'template Part() {',
      `    signal input x[${inputs[p]!.length}];`,
      `    signal output y[${outputs[p]!.length}];`,
      `    signal w[${local.size}];`,
      `    for (var i = 0; i < ${inputs[p]!.length}; i++) { w[i] <== x[i]; }`,
      ...g.flatMap((ch) => chunkBody(ch, at)),
      `    var Y[${outputs[p]!.length}] = ${list(outputs[p]!.map(at))};`,
      `    for (var j = 0; j < ${outputs[p]!.length}; j++) { y[j] <== w[Y[j]]; }`,
      '}',
      '',
      // Public in the part's own compilation only, so that circom keeps the input wires for linking.
      'component main {public [x]} = Part();',
      '',
    ].join('\n');
    return { source, inputs: inputs[p]!, outputs: outputs[p]!, constraints: g.reduce((a, ch) => a + ch.constraints, 0) };
  });
  if (parts.some((p) => p.inputs.length === 0 || p.outputs.length === 0)) throw new Error('internal: a circuit part reads or hands on no signal');
  return { head: generateCircuit(model, 'constant', inputVisibility, { z }), z, parts };
}

/**
 * The private weight inputs of the weights-as-signals encoding, by circuit input name; with
 * `constants` (committed weights) also every weighted step's constants.
 */
export function weightSignals(model: QuantizedModel, constants = false): Record<string, string[]> {
  const inputs: Record<string, string[]> = {};
  for (const st of weightValues(model).steps) {
    inputs[`W${st.k}`] = st.coefficients.length > 0 ? st.coefficients.map(String) : ['0'];
    if (constants) inputs[`Cb${st.k}`] = st.constants.map(String);
  }
  return inputs;
}
