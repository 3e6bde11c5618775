import pino from 'pino';
import { decodeRevert } from '@verity/sdk';

/** Structured logger (pino's signature). */
export type Logger = Pick<pino.Logger, 'info' | 'warn' | 'error' | 'debug'>;

/** JSON lines on stdout (pino), at `VERITY_LOG_LEVEL` (default info). */
export function createLogger(bindings: Record<string, unknown> = {}, level = process.env.VERITY_LOG_LEVEL ?? 'info'): pino.Logger {
  return pino({ name: 'verity-node', level }).child(bindings);
}

/** An error as one log field: a revert decoded to its custom error, else the short message. */
export const errorText = (e: unknown): string => {
  const d = decodeRevert(e);
  return (d as { shortMessage?: string }).shortMessage ?? (d as Error).message ?? String(d);
};
