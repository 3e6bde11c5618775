// The foundry binaries (forge, anvil) that npm installed, called directly: the npm wrappers in
// node_modules/.bin (@foundry-rs/forge 1.x) spawn the binary but exit 0 whatever it returns, so
// through them a failing `forge test` or `forge build` looks like a success.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ARCH = { x64: 'amd64', arm64: 'arm64' };

/** The path of `tool`'s binary (its platform package's, else the wrapper package's dist/ copy). */
export function foundryBinary(root, tool) {
  const require = createRequire(join(root, 'package.json'));
  const exe = process.platform === 'win32' ? `${tool}.exe` : tool;
  try {
    const p = require.resolve(`@foundry-rs/${tool}-${process.platform}-${ARCH[process.arch] ?? process.arch}/bin/${exe}`);
    if (existsSync(p)) return p;
  } catch {
    // not installed for this platform: the wrapper package fetched it into dist/
  }
  const dist = join(root, 'node_modules', '@foundry-rs', tool, 'dist', exe);
  if (existsSync(dist)) return dist;
  throw new Error(`${tool} is not installed (no @foundry-rs/${tool} binary for ${process.platform}-${process.arch}); run npm install`);
}
