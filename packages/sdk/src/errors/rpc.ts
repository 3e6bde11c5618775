import { BaseError as ViemBaseError, HttpRequestError, TimeoutError, WebSocketRequestError } from 'viem';
import { BaseError } from '@verity/errors';

/**
 * An RPC endpoint that did not answer (refused, unresolvable, timed out or an HTTP error status):
 * names the URL, which viem's own "HTTP request failed." leaves out.
 *
 * @example
 * try { await connect('http://127.0.0.1:1') } catch (e) { if (e instanceof RpcUnreachableError) console.error(e.url, e.reason) }
 */
export class RpcUnreachableError extends BaseError {
  override name = 'RpcUnreachableError';
  readonly url: string;
  /** what failed: the HTTP status, the socket error or the timeout */
  readonly reason: string;
  constructor({ url, reason, cause }: { url: string; reason: string; cause?: unknown }) {
    super(`Cannot reach the RPC at ${redactUrl(url)}: ${reason}`, {
      details: 'Check the URL (--rpc, VERITY_RPC_URL or the deployment file\'s rpcUrl) and that the node behind it is running.',
      cause,
    });
    this.url = url;
    this.reason = reason;
  }
}

/** The URL without a user name or password (API keys in the path are the provider's choice to show). */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * The {@link RpcUnreachableError} behind a viem error that failed at the transport (anywhere in its
 * cause chain), or undefined for any other error.
 *
 * @example
 * catch (e) { throw rpcUnreachable(e) ?? e }
 */
export function rpcUnreachable(error: unknown): RpcUnreachableError | undefined {
  if (error instanceof RpcUnreachableError) return error;
  if (!(error instanceof ViemBaseError)) return undefined;
  const transport = error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError);
  if (!(transport instanceof HttpRequestError || transport instanceof TimeoutError || transport instanceof WebSocketRequestError)) return undefined;
  const status = transport instanceof HttpRequestError && transport.status ? `HTTP ${transport.status}` : undefined;
  const reason = status ?? (transport instanceof TimeoutError ? 'the request timed out' : transport.details || transport.shortMessage);
  return new RpcUnreachableError({ url: transport.url, reason, cause: error });
}
