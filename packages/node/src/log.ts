import pino from 'pino';

/** Structured logger (pino's signature). */
export type Logger = Pick<pino.Logger, 'info' | 'warn' | 'error' | 'debug'>;

/** JSON lines on stdout (pino), at `VERITY_LOG_LEVEL` (default info). */
export function createLogger(bindings: Record<string, unknown> = {}, level = process.env.VERITY_LOG_LEVEL ?? 'info'): pino.Logger {
  return pino({ name: 'verity-node', level }).child(bindings);
}
