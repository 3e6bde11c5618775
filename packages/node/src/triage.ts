import {
  HttpRequestError, LimitExceededRpcError, ResourceUnavailableRpcError, SocketClosedError, TimeoutError, WebSocketRequestError,
} from 'viem';
import { ContractRevertError, decodeRevert, RpcUnreachableError } from '@verity/sdk/errors';
import { walk } from '@verity/errors';

/** viem's errors for an RPC that did not answer, or asked the caller to come back later. */
const TRANSIENT_RPC_ERRORS = [
  HttpRequestError, TimeoutError, WebSocketRequestError, SocketClosedError, LimitExceededRpcError, ResourceUnavailableRpcError, RpcUnreachableError,
] as const;

/** Socket errors by their system code (Node's `err.code`, undici's included): the connection, not the request, failed. */
const TRANSIENT_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * RPC trouble (unreachable, timed out, rate limited, socket closed): retried without counting
 * against the job. Decided by error class and system error code anywhere in the cause chain,
 * never by message text.
 */
export function isTransient(e: unknown): boolean {
  return walk(e, isTransientOne) !== null;
}

/** One error of a cause chain: a transient RPC error class, or a socket error by its code. */
function isTransientOne(e: unknown): boolean {
  if (TRANSIENT_RPC_ERRORS.some((k) => e instanceof k)) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code);
}

/** What a failed step of a job's life means for the job. */
export type JobErrorKind =
  /** RPC trouble: back to the queue without counting an attempt */
  | 'rpc'
  /** the request was settled otherwise (`RequestNotPending`): skipped */
  | 'settled'
  /** the drawn primary's window is still open on chain (`NotAssigned`, `DrawNotReady`): wait, no failure */
  | 'window'
  /** anything else: retried with backoff, then failed */
  | 'retry';

/** Sorts a job's error by its class (and a contract revert by its custom error's name). */
export function triageJobError(e: unknown): JobErrorKind {
  if (isTransient(e)) return 'rpc';
  const d = decodeRevert(e);
  if (d instanceof ContractRevertError && d.errorName === 'RequestNotPending') return 'settled';
  if (d instanceof ContractRevertError && (d.errorName === 'NotAssigned' || d.errorName === 'DrawNotReady')) return 'window';
  return 'retry';
}
