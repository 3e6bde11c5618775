/**
 * Follows `cause` from `error`: to the first error (itself included) that `fn` accepts, or null
 * when none does; without `fn`, to the deepest cause. A cause chain that loops ends where it
 * would repeat. Works on any thrown value (viem's errors, node's, Verity's).
 *
 * @example
 * const transport = walk(e, (x) => x instanceof HttpRequestError) // the HttpRequestError behind e, or null
 */
export function walk(error: unknown): unknown;
export function walk(error: unknown, fn: (e: unknown) => boolean): unknown | null;
export function walk(error: unknown, fn?: (e: unknown) => boolean): unknown {
  const seen = new Set<unknown>();
  let e = error;
  for (;;) {
    if (fn?.(e)) return e;
    seen.add(e);
    const cause = e !== null && typeof e === 'object' && 'cause' in e ? (e as { cause?: unknown }).cause : undefined;
    if (cause === undefined || seen.has(cause)) return fn ? null : e;
    e = cause;
  }
}

/**
 * Root of Verity's typed errors: a short message, optional details, an optional cause,
 * and the fields that explain the failure on the subclass itself. The CLI prints
 * `error: <name>: <shortMessage>` for any of them.
 *
 * @example
 * try { await client.request(...) } catch (e) { if (e instanceof BaseError) console.error(e.shortMessage) }
 */
export class BaseError extends Error {
  override name = 'VerityError';
  readonly shortMessage: string;
  readonly details?: string;

  constructor(shortMessage: string, options: { details?: string; cause?: unknown } = {}) {
    super([shortMessage, options.details].filter(Boolean).join('\n\n'), { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = options.details;
  }

  /**
   * This error's cause chain, as viem's `BaseError.walk`: the deepest cause, or the first
   * error (this one included) that `fn` accepts, else null.
   *
   * @example
   * const revert = e.walk((x) => x instanceof ContractRevertError)
   */
  walk(): unknown;
  walk(fn: (e: unknown) => boolean): unknown | null;
  walk(fn?: (e: unknown) => boolean): unknown {
    return fn ? walk(this, fn) : walk(this);
  }
}
