/** ModelRegistry.Mode: how a model's answers are checked. */
export const Mode = { Proved: 0, Agreed: 1 } as const;
/** A model's mode by name: `proved` (a zk-SNARK) or `agreed` (a staked committee). */
export type ModeName = 'proved' | 'agreed';

/**
 * The name of a `Mode` value as the contracts return it (`getModel(id).mode`, `getRequest(id).mode`).
 *
 * @example
 * modeName((await registry.read.getModel([modelId])).mode) // 'proved'
 */
export const modeName = (mode: number): ModeName => (mode === Mode.Agreed ? 'agreed' : 'proved');
