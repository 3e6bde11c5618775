import type { IntForm, Step } from '../lower/steps.js';
import { outputsOf } from '../lower/steps.js';
import type { QuantizedModel } from '../quantize/quantize.js';
import { layoutOf } from './layout.js';

/**
 * `constant`: weights are circuit constants, pinned by the verifying key; a linear layer
 * costs no multiplicative constraint. `signals`: weights are private witness values, one
 * constraint per multiplication (the usual circom zkML encoding, kept as a baseline).
 */
export type WeightEncoding = 'constant' | 'signals';

const list = (xs: readonly (bigint | number)[]) => `[${xs.join(',')}]`;

/** Flattened forms: coefficients, signal indices, offsets and constants, as circom var arrays. */
function formArrays(tag: string, forms: readonly IntForm[]): string[] {
  const K: bigint[] = [], I: number[] = [], O: number[] = [0];
  for (const f of forms) { K.push(...f.k); I.push(...f.i); O.push(K.length); }
  // circom rejects zero-length arrays: pad with one unused entry.
  if (K.length === 0) { K.push(0n); I.push(0); }
  return [
    `    var K${tag}[${K.length}] = ${list(K)};`,
    `    var I${tag}[${I.length}] = ${list(I)};`,
    `    var O${tag}[${O.length}] = ${list(O)};`,
    `    var C${tag}[${forms.length}] = ${list(forms.map((f) => f.c))};`,
  ];
}

/** Loop that leaves the value of form `o` of `tag` in `acc${tag}` (a linear expression). */
const accumulate = (tag: string, prod?: string) => prod
  ? `        var acc${tag} = C${tag}[o];\n        for (var j = O${tag}[o]; j < O${tag}[o + 1]; j++) { ${prod}[j] <== W${tag}[j] * w[I${tag}[j]]; acc${tag} += ${prod}[j]; }`
  : `        var acc${tag} = C${tag}[o];\n        for (var j = O${tag}[o]; j < O${tag}[o + 1]; j++) { acc${tag} += K${tag}[j] * w[I${tag}[j]]; }`;

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

function stepCode(k: number, s: Step, encoding: WeightEncoding): string[] {
  const n = outputsOf(s);
  const t = `${k}`;
  const lines = [`    // step ${k}: ${s.kind}${s.kind === 'requant' ? ` ${s.act}` : ''} at node "${s.name}", ${n} outputs`];
  switch (s.kind) {
    case 'requant': {
      lines.push(...formArrays(t, s.forms));
      lines.push(`    var B${t}[${n}] = ${list(s.bits)};`, `    var S${t}[${n}] = ${list(s.shift)};`);
      const asSignals = encoding === 'signals' && s.weights;
      if (asSignals) {
        const T = Math.max(1, s.forms.reduce((a, f) => a + f.k.length, 0));
        lines.push(`    signal input W${t}[${T}];`, `    signal P${t}[${T}];`);
      }
      const tpl = s.act === 'relu' ? `ReluRequant(B${t}[o], S${t}[o])` : s.act === 'sign' ? `Sign(B${t}[o])` : `Requant(B${t}[o], S${t}[o])`;
      lines.push(
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(t, asSignals ? `P${t}` : undefined),
        `        c${t}[o] = ${tpl};`,
        `        c${t}[o].in <== acc${t};`,
        `        w[${s.out} + o] <== c${t}[o].out;`,
        '    }',
      );
      return lines;
    }
    case 'pwl':
      lines.push(...formArrays(t, s.forms),
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(t),
        `        c${t}[o] = Pwl${k}();`,
        `        c${t}[o].in <== acc${t};`,
        `        w[${s.out} + o] <== c${t}[o].out;`,
        '    }');
      return lines;
    case 'product':
      lines.push(...formArrays(`${t}a`, s.a), ...formArrays(`${t}b`, s.b),
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(`${t}a`),
        accumulate(`${t}b`),
        `        w[${s.out} + o] <== acc${t}a * acc${t}b;`,
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
        accumulate(t).replace(/^ {8}/gm, '            '),
        `            c${t}[q].in[e] <== acc${t};`,
        '        }',
        `        w[${s.out} + q] <== c${t}[q].out;`,
        '    }');
      return lines;
    }
    case 'div':
      lines.push(...formArrays(`${t}n`, s.num), ...formArrays(`${t}d`, s.den),
        `    component c${t}[${n}];`,
        `    for (var o = 0; o < ${n}; o++) {`,
        accumulate(`${t}n`),
        accumulate(`${t}d`),
        `        c${t}[o] = DivFloor(${s.qBits}, ${s.rBits});`,
        `        c${t}[o].num <== acc${t}n;`,
        `        c${t}[o].den <== acc${t}d;`,
        `        w[${s.out} + o] <== c${t}[o].q;`,
        '    }');
      return lines;
  }
}

/**
 * Emits the circom source for a quantised model: input commitment, one block per step of
 * the integer program over the signal array `w`, output packing and the request binding.
 * Public signals, in order: the packed output words, the input commitment, the request
 * binding.
 *
 * @example
 * fs.writeFileSync('circuit.circom', generateCircuit(quantized))
 */
export function generateCircuit(model: QuantizedModel, encoding: WeightEncoding = 'constant'): string {
  const layout = layoutOf(model);
  const groups = model.steps.filter((s) => s.kind === 'argmax');
  if (groups.some((s) => s.groups.some((g) => g.length !== s.groups[0]!.length))) throw new Error('internal: ragged ArgMax groups');
  const half = 2n ** BigInt(model.outputBits - 1);
  const out: string[] = [
    'pragma circom 2.1.6;',
    '// Generated by the Verity zkML compiler. Do not edit.',
    'include "verity.circom";',
    '',
    ...model.steps.flatMap((s, k) => (s.kind === 'pwl' ? [pwlTemplate(k, s), ''] : [])),
    'template Model() {',
    `    signal input u[${layout.inputCount}];`,
    '    signal input binding;',
    `    signal output out[${layout.outputWords}];`,
    '    signal output inputCommitment;',
    `    signal w[${model.signalCount}];`,
    '',
    `    component commit = InputCommit(${layout.inputCount}, ${layout.inputWidth}, ${layout.inputsPerChunk});`,
    `    for (var i = 0; i < ${layout.inputCount}; i++) { commit.u[i] <== u[i]; w[i] <== u[i]; }`,
    '    inputCommitment <== commit.commitment;',
    '',
  ];
  model.steps.forEach((s, k) => out.push(...stepCode(k, s, encoding), ''));
  out.push(
    `    var OUT[${model.outputs.length}] = ${list(model.outputs)};`,
    `    component pack = PackOutputs(${layout.outputCount}, ${layout.outputBits}, ${layout.outputsPerWord});`,
    `    for (var i = 0; i < ${layout.outputCount}; i++) { pack.in[i] <== w[OUT[i]] + ${half}; }`,
    `    for (var k = 0; k < ${layout.outputWords}; k++) { out[k] <== pack.out[k]; }`,
    '',
    '    component bind = Bind();',
    '    bind.binding <== binding;',
    '}',
    '',
    'component main {public [binding]} = Model();',
    '',
  );
  return out.join('\n');
}

/** The private weight inputs of the weights-as-signals encoding, by circuit input name. */
export function weightSignals(model: QuantizedModel): Record<string, string[]> {
  const inputs: Record<string, string[]> = {};
  model.steps.forEach((s, k) => {
    if (s.kind !== 'requant' || !s.weights) return;
    const ks = s.forms.flatMap((f) => f.k.map(String));
    inputs[`W${k}`] = ks.length > 0 ? ks : ['0'];
  });
  return inputs;
}
