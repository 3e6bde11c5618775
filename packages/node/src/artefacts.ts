import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { keccak256, type Address, type Hex, type PublicClient } from 'viem';
import { BaseError } from '@verity/errors';
import { modelRegistryAbi } from '@verity/sdk';
import { ARTEFACT_FILES, loadCompiled, type CircuitBackend, type CompiledModel, type CompileReport } from '@verity/zkml';

/**
 * The files every proving node needs whatever compiled the circuit, by their path inside a
 * compiled-model directory; {@link witnessFile} names the backend's witness generator.
 */
export const NODE_FILES = [ARTEFACT_FILES.report, ARTEFACT_FILES.model, ARTEFACT_FILES.zkey, ARTEFACT_FILES.verificationKey, ARTEFACT_FILES.verifierBuild] as const;

/**
 * What a node computes the witness from: circom's WebAssembly generator, or for the r1cs
 * backend (the Prover computes the witness in TypeScript) its list of eliminated labels.
 */
export const witnessFile = (backend: CircuitBackend | undefined): string => (backend === 'r1cs' ? ARTEFACT_FILES.eliminated : ARTEFACT_FILES.wasm);

/** {@link NODE_FILES}, the witness file, and for a model compiled in parts its link file and each part's witness generator and wire map. */
export function nodeFiles(dir: string): string[] {
  const { report, link } = loadCompiled(dir);
  const files = [...NODE_FILES, witnessFile(report.backend)];
  return link ? [...files, report.shards!.link, ...link.parts.flatMap((p) => [p.wasm, p.map])] : files;
}
export const MANIFEST = 'manifest.json';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A model's artefacts do not match the content hash or the registry entry they claim. */
export class ArtefactMismatchError extends BaseError {
  override name = 'ArtefactMismatchError';
  constructor({ what, expected, actual, source }: { what: string; expected: string; actual: string; source: string }) {
    super(`${what} from ${source} does not match: expected ${expected}, got ${actual}`, {
      details: 'The artefacts were altered or belong to another model. Nothing was installed; fetch them again from a trusted source or check the content hash in the node config.',
    });
  }
}

/** Artefacts could not be read from their source. */
export class ArtefactFetchError extends BaseError {
  override name = 'ArtefactFetchError';
  constructor({ source, file, cause }: { source: string; file: string; cause: unknown }) {
    super(`could not fetch ${file} from ${source}: ${(cause as Error).message ?? cause}`, { cause, details: 'Check the model\'s `source` in the node config (a directory or an http(s) URL).' });
  }
}

/**
 * Writes `manifest.json` (the SHA-256 of every file a node needs) into a compiled-model
 * directory and returns the artefacts' content hash: `sha256:` + the manifest's SHA-256.
 * Publish the directory anywhere; nodes fetch it by this hash.
 *
 * @example
 * const hash = packArtefacts('build/spam') // 'sha256:3f1c…'
 */
export function packArtefacts(dir: string): string {
  const files = Object.fromEntries(nodeFiles(dir).map((f) => [f, sha256(readFileSync(join(dir, f)))]));
  const manifest = `${JSON.stringify({ version: 1, files }, null, 1)}\n`;
  writeFileSync(join(dir, MANIFEST), manifest);
  return `sha256:${sha256(Buffer.from(manifest))}`;
}

async function read(source: string, file: string): Promise<Buffer> {
  try {
    if (/^https?:\/\//.test(source)) {
      const res = await fetch(`${source.replace(/\/$/, '')}/${file}`, { signal: AbortSignal.timeout(120_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    }
    return readFileSync(join(source.replace(/^file:\/\//, ''), file));
  } catch (e) {
    throw new ArtefactFetchError({ source, file, cause: e });
  }
}

/**
 * Fetches a model's artefacts by content hash from `source` (a directory or an http(s) base
 * URL) into `cacheDir/<hash>/`, checking the manifest against the hash and every file against
 * the manifest. A cached copy is checked again before use. Files land in a temporary
 * directory that is renamed into place only when all of them verified: nothing half-written.
 */
export async function fetchArtefacts(p: { source: string; hash: string; cacheDir: string }): Promise<string> {
  const m = /^sha256:([0-9a-f]{64})$/.exec(p.hash);
  if (!m) throw new ArtefactMismatchError({ what: 'content hash', expected: 'sha256:<64 hex digits>', actual: p.hash, source: 'the node config' });
  const dest = resolve(p.cacheDir, m[1]!);
  const verify = async (src: string) => {
    const manifest = await read(src, MANIFEST);
    const got = `sha256:${sha256(manifest)}`;
    if (got !== p.hash) throw new ArtefactMismatchError({ what: MANIFEST, expected: p.hash, actual: got, source: src });
    const { files } = JSON.parse(manifest.toString('utf8')) as { files: Record<string, string> };
    const contents = new Map<string, Buffer>();
    for (const f of NODE_FILES) {
      if (!files[f]) throw new ArtefactMismatchError({ what: MANIFEST, expected: `an entry for ${f}`, actual: 'none', source: src });
    }
    for (const f of Object.keys(files)) {
      // The manifest matched its hash; still, every path must stay inside the model directory.
      if (isAbsolute(f) || normalize(f).split(/[\\/]/).includes('..')) throw new ArtefactMismatchError({ what: MANIFEST, expected: 'paths inside the model directory', actual: f, source: src });
      const body = await read(src, f);
      const h = sha256(body);
      if (h !== files[f]) throw new ArtefactMismatchError({ what: f, expected: `sha256:${files[f]}`, actual: `sha256:${h}`, source: src });
      contents.set(f, body);
    }
    // The report (now checked against the manifest) says which backend's witness file to expect.
    let backend: CompileReport['backend'];
    try { backend = (JSON.parse(contents.get(ARTEFACT_FILES.report)!.toString('utf8')) as CompileReport).backend; } catch { backend = undefined; }
    const witness = witnessFile(backend);
    if (!files[witness]) throw new ArtefactMismatchError({ what: MANIFEST, expected: `an entry for ${witness} (the ${backend ?? 'circom'} backend's witness file)`, actual: 'none', source: src });
    return { manifest, contents };
  };
  if (existsSync(join(dest, MANIFEST))) {
    await verify(dest);
    return dest;
  }
  const { manifest, contents } = await verify(p.source);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [f, body] of contents) {
    mkdirSync(dirname(join(tmp, f)), { recursive: true });
    writeFileSync(join(tmp, f), body);
  }
  writeFileSync(join(tmp, MANIFEST), manifest);
  mkdirSync(dirname(dest), { recursive: true });
  renameSync(tmp, dest);
  return dest;
}

/**
 * Checks compiled artefacts against the model's registry entry before a node serves it: the
 * registry's model commitment is the keccak256 of model.json, and the verifier contract's
 * code is the verifier these artefacts were compiled with (so proofs from this proving key
 * verify on chain). Returns the loaded model.
 */
export async function verifyAgainstRegistry(publicClient: PublicClient, p: { registry: Address; modelId: Hex; dir: string }): Promise<CompiledModel> {
  const compiled = loadCompiled(p.dir);
  const model = await publicClient.readContract({ address: p.registry, abi: modelRegistryAbi, functionName: 'getModel', args: [p.modelId] });
  const commitment = keccak256(readFileSync(compiled.path('model')));
  if (commitment !== model.commitment) throw new ArtefactMismatchError({ what: `model.json of ${p.modelId}`, expected: model.commitment, actual: commitment, source: p.dir });
  const build = JSON.parse(readFileSync(compiled.path('verifierBuild'), 'utf8')) as { deployedBytecode: Hex };
  const code = await publicClient.getCode({ address: model.verifier });
  const [want, got] = [keccak256(build.deployedBytecode), code ? keccak256(code) : '0x (no code)'];
  if (want !== got) throw new ArtefactMismatchError({ what: `verifier code at ${model.verifier}`, expected: want, actual: got, source: p.dir });
  return compiled;
}
