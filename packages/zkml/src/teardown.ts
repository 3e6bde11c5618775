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
