// How the node sorts a failed step of a job's life: by error class (and a revert by its custom
// error's name), anywhere in the cause chain; never by message text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BaseError as ViemBaseError, ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, HttpRequestError, LimitExceededRpcError,
  ResourceUnavailableRpcError, RpcRequestError, SocketClosedError, TimeoutError, WebSocketRequestError,
} from 'viem';
import { coprocessorAbi } from '@verity/sdk';
import { ContractRevertError, RpcUnreachableError } from '@verity/sdk/errors';
import { RequestInputMismatchError } from './jobs.js';
import { ProvingJobFailedError, ProvingTimeoutError, WorkerProofError } from './proving.js';
import { EventNotFoundError, NoCommitteeError } from '@verity/errors';
import { isTransient, triageJobError, type JobErrorKind } from './triage.js';

const url = 'http://127.0.0.1:1';
const body = { method: 'eth_call' };
const rpcError = (code: number) => new RpcRequestError({ body, url, error: { code, message: 'the node said no' } });
/** A revert of the Coprocessor with `errorName`, as viem throws it from a contract call. */
const revert = (errorName: 'RequestNotPending' | 'NotAssigned' | 'DrawNotReady' | 'AlreadyAssigned', args: readonly unknown[]) => {
  const data = encodeErrorResult({ abi: coprocessorAbi, errorName, args } as never);
  const reverted = new ContractFunctionRevertedError({ abi: coprocessorAbi, data, functionName: 'fulfill' });
  return new ContractFunctionExecutionError(reverted, { abi: coprocessorAbi, functionName: 'fulfill', args: [] });
};
const socketError = (code: string) => Object.assign(new Error('a socket error'), { code });

const cases: [string, unknown, JobErrorKind][] = [
  ['viem HttpRequestError (unreachable, 5xx)', new HttpRequestError({ url, body, details: 'fetch failed' }), 'rpc'],
  ['viem TimeoutError', new TimeoutError({ url, body }), 'rpc'],
  ['viem WebSocketRequestError', new WebSocketRequestError({ url, body }), 'rpc'],
  ['viem SocketClosedError', new SocketClosedError({ url }), 'rpc'],
  ['viem LimitExceededRpcError (rate limited)', new LimitExceededRpcError(rpcError(-32005)), 'rpc'],
  ['viem ResourceUnavailableRpcError', new ResourceUnavailableRpcError(rpcError(-32002)), 'rpc'],
  ['an HttpRequestError deep in a contract call', new ContractFunctionExecutionError(new ViemBaseError('call failed', { cause: new HttpRequestError({ url, body, status: 502 }) }), { abi: coprocessorAbi, functionName: 'fulfill', args: [] }), 'rpc'],
  ['the sdk\'s RpcUnreachableError', new RpcUnreachableError({ url, reason: 'HTTP 503' }), 'rpc'],
  ['a refused socket (Redis, a worker) by its code', socketError('ECONNREFUSED'), 'rpc'],
  ['undici\'s "fetch failed" by its cause\'s code', new TypeError('fetch failed', { cause: socketError('UND_ERR_SOCKET') }), 'rpc'],
  ['a reset socket wrapped by another error', new Error('proof request failed', { cause: socketError('ECONNRESET') }), 'rpc'],
  ['RequestNotPending: settled otherwise', revert('RequestNotPending', [7n, 2]), 'settled'],
  ['an already decoded RequestNotPending', new ContractRevertError({ errorName: 'RequestNotPending', args: [7n, 2] }), 'settled'],
  ['NotAssigned: the primary\'s window is open', revert('NotAssigned', [7n, '0x0000000000000000000000000000000000000001', 100n]), 'window'],
  ['DrawNotReady: the draw block is the head', revert('DrawNotReady', [7n, 100n]), 'window'],
  ['any other revert (AlreadyAssigned)', revert('AlreadyAssigned', [7n, '0x0000000000000000000000000000000000000002']), 'retry'],
  ['a JSON-RPC error that is no outage (execution reverted, code 3)', rpcError(3), 'retry'],
  ['the node\'s ProvingTimeoutError', new ProvingTimeoutError({ requestId: 7n, ms: 60_000, workers: 1 }), 'retry'],
  ['the node\'s WorkerProofError', new WorkerProofError({ requestId: 7n, worker: 'w1', problem: 'does not verify' }), 'retry'],
  ['the node\'s ProvingJobFailedError', new ProvingJobFailedError({ requestId: 7n, problem: 'failed on its worker: out of memory' }), 'retry'],
  ['an EventNotFoundError (a Requested event a reorg took)', new EventNotFoundError({ event: 'Requested', where: 'blocks 0 to the head', requestId: 7n }), 'retry'],
  ['the node\'s RequestInputMismatchError', new RequestInputMismatchError({ requestId: 7n }), 'retry'],
  ['the node\'s NoCommitteeError', new NoCommitteeError({ reason: 'the Coprocessor has no committee' }), 'retry'],
  ['a plain error whose message names a socket error (no code)', new Error('connect ECONNREFUSED 127.0.0.1:6379; fetch failed; socket hang up'), 'retry'],
  ['a thrown string', 'ECONNREFUSED', 'retry'],
];

for (const [name, error, kind] of cases) {
  test(`triage: ${name} -> ${kind}`, () => {
    assert.equal(triageJobError(error), kind);
    assert.equal(isTransient(error), kind === 'rpc');
  });
}

test('triage: a cause chain that loops ends the walk', () => {
  const a = new Error('a') as Error & { cause?: unknown };
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.equal(triageJobError(a), 'retry');
});
