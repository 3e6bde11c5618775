// The deployment file `verity dev` writes while the devnet runs, so `verity request`,
// `verity node …` and `verity explorer` can use it (`--deployment FILE`).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isDevnet } from '@verity/sdk';
import { BaseError } from '@verity/errors';
import type { Deployment } from './commands.js';

/** `verity dev` will not replace a file that is not a devnet's deployment file. */
export class DeploymentFileInUseError extends BaseError {
  override name = 'DeploymentFileInUseError';
  readonly path: string;
  constructor({ path, problem }: { path: string; problem: string }) {
    super(`verity dev will not overwrite ${path}: ${problem}`, { details: 'Pass --deployment FILE to write the devnet\'s deployment elsewhere.' });
    this.path = path;
  }
}

/**
 * Checks that `path` is free for a devnet's deployment: missing, or a deployment file of a
 * devnet chain (a stale one from an earlier `verity dev`). Anything else, including a real
 * chain's deployment, throws {@link DeploymentFileInUseError}.
 *
 * @example
 * checkDevDeploymentPath('deployment.json')
 */
export function checkDevDeploymentPath(path: string): void {
  if (!existsSync(path)) return;
  let d: Partial<Deployment>;
  try {
    d = JSON.parse(readFileSync(path, 'utf8')) as Partial<Deployment>;
  } catch {
    throw new DeploymentFileInUseError({ path, problem: 'it exists and is not a Verity deployment file' });
  }
  if (!d?.addresses?.coprocessor || !d.addresses.registry || typeof d.chainId !== 'number') {
    throw new DeploymentFileInUseError({ path, problem: 'it exists and is not a Verity deployment file' });
  }
  if (!isDevnet(d.chainId)) throw new DeploymentFileInUseError({ path, problem: `it is the deployment on chain ${d.chainId}, not a devnet's` });
}

/**
 * Writes the devnet's deployment file (checked again with {@link checkDevDeploymentPath}) and
 * returns a function that removes it, unless something else has replaced it since.
 *
 * @example
 * const remove = writeDevDeployment('deployment.json', deployment)
 * await remove() // when the devnet stops
 */
export function writeDevDeployment(path: string, deployment: Deployment): () => Promise<void> {
  checkDevDeploymentPath(path);
  const text = JSON.stringify(deployment, null, 2) + '\n';
  writeFileSync(path, text);
  return async () => {
    if (existsSync(path) && readFileSync(path, 'utf8') === text) rmSync(path);
  };
}
