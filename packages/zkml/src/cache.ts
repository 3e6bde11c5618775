import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCompiled, type CompiledModel } from './artefacts.js';
import { compileModel, type CompileOptions } from './compile.js';
import { cacheDir } from './setup/ptau.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function compilerSources(dir: string, hash: ReturnType<typeof createHash>) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) compilerSources(path, hash);
    else if (/\.(ts|circom)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) hash.update(readFileSync(path));
  }
}

/**
 * Compiles a model once and reuses its artefacts while the model bytes, the options and the
 * compiler itself are unchanged (all hashed into the cache key). Artefacts live under
 * {@link cacheDir}, outside git.
 *
 * @example
 * const { compiled, cached } = await compileCached('spam', onnxBytes, { calibration })
 */
export async function compileCached(
  name: string,
  onnx: Uint8Array,
  options: Omit<CompileOptions, 'out'> = {},
): Promise<{ compiled: CompiledModel; cached: boolean }> {
  const dir = cachedModelDir(name, onnx, options);
  if (existsSync(join(dir, 'report.json'))) return { compiled: loadCompiled(dir), cached: true };
  await compileModel(onnx, { ...options, out: dir });
  return { compiled: loadCompiled(dir), cached: false };
}

/**
 * Where {@link compileCached} keeps (or would keep) a model's artefacts: named by the model
 * bytes, the options (less `progress`) and the compiler's sources. Whether it is there yet:
 * `existsSync(join(dir, 'report.json'))`.
 *
 * @example
 * const dir = cachedModelDir('credit', onnxBytes, { calibration })
 */
export function cachedModelDir(name: string, onnx: Uint8Array, options: Omit<CompileOptions, 'out'> = {}): string {
  const hash = createHash('sha256').update(onnx);
  const { progress: _progress, ...rest } = options;
  hash.update(JSON.stringify(rest));
  compilerSources(join(packageRoot, 'src'), hash);
  compilerSources(join(packageRoot, 'circuits'), hash);
  return join(cacheDir(), 'models', `${name}-${hash.digest('hex').slice(0, 16)}`);
}
