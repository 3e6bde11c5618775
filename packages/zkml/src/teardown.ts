import { promises as fsPromises, type PathLike } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';

/**
 * Ends the worker threads snarkjs/ffjavascript keep for the BN254 curve, so a process that
 * proved something can exit on its own (a long-running node never needs this).
 */
export async function releaseCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> | void } };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}

type Scope = { paths: Set<string>; opened: FileHandle[] };
const scopes = new Set<Scope>();
let originalOpen: typeof fsPromises.open | undefined;

/**
 * Runs `f` (a snarkjs call given `paths`), then closes the file handles it opened on those
 * paths and left open. snarkjs 0.7.6 returns early without closing the files it read
 * (`powersOfTau.verify` on every failure; `zKey.verifyFromR1cs` always leaves the ptau open),
 * and Node then closes them on garbage collection with a DEP0137 warning. While a scope runs,
 * `fs.promises.open` (which snarkjs's fastfile calls) notes the handles it opens on `paths`.
 *
 * @example
 * const ok = await closingLeftOpen([ptau], () => snarkjs.powersOfTau.verify(ptau))
 */
export async function closingLeftOpen<T>(paths: string[], f: () => Promise<T>): Promise<T> {
  const scope: Scope = { paths: new Set(paths.map((p) => resolve(p))), opened: [] };
  if (scopes.size === 0) {
    const open = (originalOpen = fsPromises.open);
    fsPromises.open = async function (this: unknown, path: PathLike, ...rest: unknown[]) {
      const handle = await (open as (...a: unknown[]) => Promise<FileHandle>).call(this, path, ...rest);
      for (const s of scopes) if (s.paths.has(resolve(String(path)))) s.opened.push(handle);
      return handle;
    } as typeof fsPromises.open;
  }
  scopes.add(scope);
  try {
    return await f();
  } finally {
    scopes.delete(scope);
    if (scopes.size === 0 && originalOpen) fsPromises.open = originalOpen;
    // fd is -1 once a handle is closed
    await Promise.all(scope.opened.filter((h) => h.fd !== -1).map((h) => h.close().catch(() => {})));
  }
}
