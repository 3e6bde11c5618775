/**
 * Root of Verity's typed errors: a short message, optional details, an optional cause,
 * and the fields that explain the failure on the subclass itself.
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
}
