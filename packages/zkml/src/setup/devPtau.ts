import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { getCurveFromName } from 'ffjavascript';
import { resolveBackend, type BackendChoice } from '../prover/backend.js';
import { nativeDevPtau } from './native.js';

type Fe = unknown;
type Point = unknown;
type Field = {
  e(x: bigint | string): Fe; one: Fe; zero: Fe; w: Fe[]; n8: number;
  add(a: Fe, b: Fe): Fe; sub(a: Fe, b: Fe): Fe; mul(a: Fe, b: Fe): Fe; inv(a: Fe): Fe; exp(a: Fe, e: number): Fe;
};
type Group = { g: Point; F: { n8: number }; timesFr(p: Point, s: Fe): Point; toAffine(p: Point): Point; toRprLEM(buff: Uint8Array, offset: number, p: Point): void };
type Curve = { Fr: Field; G1: Group; G2: Group; q: bigint; terminate(): Promise<void> };

/** The secrets of an insecure dev setup. Whoever knows them can forge proofs. */
export type DevSecrets = { tau: bigint; alpha: bigint; beta: bigint };

const R = 21888242871839275222246405745257298275088548364400416034343698204186575808495n;
const randomScalar = () => (BigInt(`0x${randomBytes(40).toString('hex')}`) % (R - 1n)) + 1n;

/** Inverts every element with one field inversion (Montgomery's trick). */
function batchInverse(Fr: Field, xs: Fe[]): Fe[] {
  const prefix: Fe[] = [];
  let acc = Fr.one;
  for (const x of xs) { prefix.push(acc); acc = Fr.mul(acc, x); }
  let inv = Fr.inv(acc);
  const out = new Array<Fe>(xs.length);
  for (let i = xs.length - 1; i >= 0; i--) { out[i] = Fr.mul(inv, prefix[i]!); inv = Fr.mul(inv, xs[i]!); }
  return out;
}

/** Appends one section (id, size, contents) of snarkjs's binary file layout. */
function section(fd: number, id: number, chunks: Uint8Array[]) {
  const size = chunks.reduce((a, c) => a + c.length, 0);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(id, 0);
  head.writeBigUInt64LE(BigInt(size), 4);
  writeSync(fd, head);
  for (const c of chunks) writeSync(fd, c);
}

/** `scalars[i] * generator` for every scalar, as affine points in snarkjs's Montgomery LE layout. */
function fixedBase(G: Group, scalars: Fe[]): Uint8Array {
  const size = G.F.n8 * 2;
  const out = new Uint8Array(scalars.length * size);
  scalars.forEach((s, i) => G.toRprLEM(out, i * size, G.toAffine(G.timesFr(G.g, s))));
  return out;
}

/**
 * The Lagrange basis at tau for the domain of size `n` (roots of unity `w^i`):
 * L_i(tau) = (tau^n - 1) / n * w^i / (tau - w^i), which is the inverse FFT of the powers of
 * tau that snarkjs's `preparePhase2` computes. With `lastPowerMissing`, the highest power
 * tau^(n-1) is left out, as snarkjs does for section 12's extra level (tauG1 has one point
 * fewer than that level needs): the basis minus tau^(n-1) * w^i / n.
 */
function lagrange(Fr: Field, tau: Fe, log2n: number, lastPowerMissing = false): Fe[] {
  const n = 2 ** log2n;
  const w = Fr.w[log2n]!;
  const nInv = Fr.inv(Fr.e(BigInt(n)));
  const roots: Fe[] = [Fr.one];
  for (let i = 1; i < n; i++) roots.push(Fr.mul(roots[i - 1]!, w));
  const factor = Fr.mul(Fr.sub(Fr.exp(tau, n), Fr.one), nInv);
  const inverses = batchInverse(Fr, roots.map((r) => Fr.sub(tau, r)));
  const lastTerm = Fr.mul(Fr.exp(tau, n - 1), nInv);
  return roots.map((r, i) => {
    const l = Fr.mul(Fr.mul(factor, r), inverses[i]!);
    return lastPowerMissing ? Fr.sub(l, Fr.mul(lastTerm, r)) : l;
  });
}

/**
 * Writes a prepared powers-of-tau file (snarkjs's `.ptau`, phase 2 ready) computed directly
 * from known secrets: each point is a scalar multiple of the generator, and the Lagrange
 * sections are evaluated in the field instead of by FFTs over curve points. That is orders
 * of magnitude faster than running a ceremony, and exactly as insecure as any single-party
 * setup: it is for the devnet and tests only. The secrets are drawn at random and dropped
 * unless given (tests pass them to check the file against snarkjs). The native core writes the
 * same bytes (`verity-prover dev-ptau`) when it is the backend in use: 2^19 points in about a
 * minute instead of an hour.
 */
export async function writeDevPtau(file: string, power: number, secrets: DevSecrets = { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar() }, progress?: (percent: number) => void, backend?: BackendChoice): Promise<void> {
  if (resolveBackend(backend) === 'native') return nativeDevPtau(file, power, secrets, progress);
  const curve = (await getCurveFromName('bn128', true)) as Curve;
  const { Fr, G1, G2 } = curve;
  const tau = Fr.e(secrets.tau), alpha = Fr.e(secrets.alpha), beta = Fr.e(secrets.beta);
  const n = 2 ** power;
  const powers: Fe[] = [Fr.one];
  for (let i = 1; i < 2 * n - 1; i++) powers.push(Fr.mul(powers[i - 1]!, tau));
  const scaled = (k: Fe, xs: Fe[]) => xs.map((x) => Fr.mul(k, x));
  const steps = 8 + 4 * (power + 1);
  let done = 0;
  const tick = () => progress?.(Math.round((++done / steps) * 100));

  const fd = openSync(file, 'w');
  try {
    const head = Buffer.alloc(12);
    head.write('ptau', 0, 'ascii');
    head.writeUInt32LE(1, 4); // version
    head.writeUInt32LE(11, 8); // sections
    writeSync(fd, head);

    const header = Buffer.alloc(4 + 32 + 8);
    header.writeUInt32LE(32, 0);
    let q = curve.q;
    for (let i = 0; i < 32; i++) { header[4 + i] = Number(q & 0xffn); q >>= 8n; }
    header.writeUInt32LE(power, 36);
    header.writeUInt32LE(power, 40); // ceremony power
    section(fd, 1, [header]);
    section(fd, 2, [fixedBase(G1, powers)]); tick();
    section(fd, 3, [fixedBase(G2, powers.slice(0, n))]); tick();
    section(fd, 4, [fixedBase(G1, scaled(alpha, powers.slice(0, n)))]); tick();
    section(fd, 5, [fixedBase(G1, scaled(beta, powers.slice(0, n)))]); tick();
    section(fd, 6, [fixedBase(G2, [beta])]); tick();
    section(fd, 7, [Buffer.alloc(4)]); // no contributions recorded: this file comes from no ceremony
    const levels = Array.from({ length: power + 1 }, (_, p) => lagrange(Fr, tau, p));
    section(fd, 12, [...levels.map((l) => { const b = fixedBase(G1, l); tick(); return b; }), fixedBase(G1, lagrange(Fr, tau, power + 1, true))]); tick();
    section(fd, 13, levels.map((l) => { const b = fixedBase(G2, l); tick(); return b; }));
    section(fd, 14, levels.map((l) => { const b = fixedBase(G1, scaled(alpha, l)); tick(); return b; }));
    section(fd, 15, levels.map((l) => { const b = fixedBase(G1, scaled(beta, l)); tick(); return b; }));
  } finally {
    closeSync(fd);
    await curve.terminate();
  }
}
