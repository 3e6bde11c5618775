import { parseEventLogs, type Address, type Hex, type PublicClient } from 'viem';
import { sendContract } from './send.js';
import { decodeRevert } from './errors/contract.js';
import { BaseError, EventNotFoundError, NoCommitteeError } from '@verity/errors';
import type { VerityAddresses, Wallet } from './deploy.js';
import { committeeAbi, coprocessorAbi, modelRegistryAbi } from './generated/contracts.js';
import { AgreedPhase } from './agreed.js';
import { findLatestLog } from './logs.js';
import { modeName, type ModeName } from './mode.js';
import { quoteRequest, type GasQuote, type QuoteRequestParameters } from './quote.js';
import { decodeAbiParameters } from 'viem';

export { Mode, modeName, type ModeName } from './mode.js';

/** How a proved model's values cross the chain boundary (ModelRegistry.IOSpec). */
export type IOSpec = { inputCount: number; inputWidth: number; outputCount: number; outputBits: number; outputScale: number };

export const RequestStatus = ['None', 'Pending', 'Fulfilled', 'Refunded'] as const;
export type RequestStatus = (typeof RequestStatus)[number];

/** A request's answer as the consumer's callback received it. */
export type VerityResult = {
  requestId: bigint;
  node: Address;
  mode: ModeName;
  /** the callback's `output` bytes */
  output: Hex;
  /** proved mode: signed fixed-point outputs, `value / 2^outputScale` (empty in agreed mode) */
  outputs: bigint[];
  fulfilTx: Hex;
  callbackSucceeded: boolean | undefined;
  blockNumber: bigint;
};

/** `waitForResult` gave up: the request was neither fulfilled nor refunded in time. */
export class ResultTimeoutError extends BaseError {
  override name = 'ResultTimeoutError';
  readonly requestId: bigint;
  constructor({ requestId, timeoutMs }: { requestId: bigint; timeoutMs: number }) {
    super(`Request ${requestId} got no result within ${timeoutMs} ms`);
    this.requestId = requestId;
  }
}

/**
 * A client created without a wallet was asked to send a transaction.
 *
 * @example
 * const verity = createVerityClient({ publicClient, wallet, addresses }) // a wallet, to send requests
 */
export class WalletRequiredError extends BaseError {
  override name = 'WalletRequiredError';
  constructor() {
    super('This action sends a transaction: create the client with a wallet');
  }
}

/** The request was refunded instead of answered. */
export class RequestRefundedError extends BaseError {
  override name = 'RequestRefundedError';
  readonly requestId: bigint;
  constructor({ requestId, reason = 'no node served it before its deadline' }: { requestId: bigint; reason?: string }) {
    super(`Request ${requestId} was refunded: ${reason}`);
    this.requestId = requestId;
  }
}

/** `client.quote`: the fee alone, or the whole {@link GasQuote} of a request. */
export type QuoteFunction = {
  (modelId: Hex, callbackGasLimit: number): Promise<bigint>;
  (request: Omit<QuoteRequestParameters, 'account'> & { account?: Address }): Promise<GasQuote>;
};

/** Decodes the `bytes output` of a proved model: `abi.encode(int256[])`. */
export function decodeProvedOutput(output: Hex): bigint[] {
  return [...decodeAbiParameters([{ type: 'int256[]' }], output)[0]];
}

/**
 * A typed client for the Coprocessor and ModelRegistry: quote, request, wait for the answer.
 * Reverts surface as {@link ContractRevertError} with the custom error's name and arguments.
 *
 * @example
 * const verity = createVerityClient({ publicClient, wallet, addresses })
 * const fee = await verity.quote(modelId, 200_000)
 * const { requestId } = await verity.request({ modelId, input: '0x8081', callbackGasLimit: 200_000, value: fee })
 * const { outputs } = await verity.waitForResult(requestId)
 */
export function createVerityClient({ publicClient, wallet, addresses, fromBlock }: {
  publicClient: PublicClient;
  wallet?: Wallet;
  addresses: VerityAddresses;
  /** the deployment's block (a deployment file's `block`): no log lookup reads below it */
  fromBlock?: bigint;
}) {
  const needWallet = () => {
    if (!wallet) throw new WalletRequiredError();
    return wallet;
  };
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw decodeRevert(e);
    }
  };

  /**
   * An agreed-mode request's answer so far: `Accepted` (a committee majority agreed; it may
   * still be appealed until `appealUntil`) or `Finalized` (the consumer has been called back).
   */
  const agreedResult = (requestId: bigint) =>
    guard(async () => {
      if (!addresses.committee) throw new NoCommitteeError({ reason: 'these addresses have no committee' });
      const task = await publicClient.readContract({ address: addresses.committee, abi: committeeAbi, functionName: 'getTask', args: [requestId] });
      const phase = AgreedPhase[task.phase]!;
      // The accepted round's answer, once there is one (Accepted, or Finalized).
      const answer = phase === 'Accepted' || phase === 'Finalized'
        ? (await publicClient.readContract({ address: addresses.committee, abi: committeeAbi, functionName: 'getRound', args: [requestId, task.accepted] })).answer
        : undefined;
      return { phase, answer, round: task.round, appealUntil: BigInt(task.appealUntil) };
    });

  return {
    addresses,

    /**
     * The fee a request must pay; or, given the request itself, its fee, its transaction's
     * simulated gas and the expected gas of its answer ({@link GasQuote}), sending nothing
     * (`account` defaults to the wallet's).
     *
     * @example
     * const fee = await verity.quote(modelId, 200_000)
     * const { requestGas, answerGas } = await verity.quote({ modelId, input: '0x8081', callbackGasLimit: 200_000 })
     */
    quote: ((a: Hex | Omit<QuoteRequestParameters, 'account'> & { account?: Address }, callbackGasLimit?: number) =>
      guard(async () => {
        if (typeof a === 'string') return publicClient.readContract({ address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'quote', args: [a, callbackGasLimit!] });
        return quoteRequest(publicClient, addresses, { ...a, account: a.account ?? needWallet().account.address });
      })) as QuoteFunction,

    /** A registered model (reverts with UnknownModel otherwise). */
    getModel: (modelId: Hex) =>
      guard(() => publicClient.readContract({ address: addresses.registry, abi: modelRegistryAbi, functionName: 'getModel', args: [modelId] })),

    /** The stored request. */
    getRequest: (requestId: bigint) =>
      guard(() => publicClient.readContract({ address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [requestId] })),

    /** A model's version waiting to take effect (`version` 0 when none), so consumers see an upgrade before it applies. */
    pendingUpdate: (modelId: Hex) =>
      guard(async () => {
        const [version, activeFrom] = await publicClient.readContract({ address: addresses.registry, abi: modelRegistryAbi, functionName: 'pendingUpdate', args: [modelId] });
        return { version, activeFrom: BigInt(activeFrom) };
      }),
    /**
     * Sends a request from the wallet's account (an EOA: no callback; contracts call `request`
     * themselves). With `version`, the request is made only against that version of the model
     * (`requestVersion`; `ModelVersionMismatch(modelId, wanted, current)` otherwise).
     */
    request: (p: { modelId: Hex; input: Hex; callbackGasLimit: number; value: bigint; version?: number }) =>
      guard(async () => {
        const call = p.version === undefined
          ? { functionName: 'request', args: [p.modelId, p.input, p.callbackGasLimit] } as const
          : { functionName: 'requestVersion', args: [p.modelId, p.version, p.input, p.callbackGasLimit] } as const;
        const { hash, receipt, requestIds } = await sendContract(publicClient, needWallet(), { address: addresses.coprocessor, abi: coprocessorAbi, ...call, value: p.value });
        if (requestIds.length === 0) throw new EventNotFoundError({ event: 'Requested', where: `transaction ${hash}` });
        return { requestId: requestIds[0]!, hash, receipt };
      }),

    agreedResult,

    /**
     * Polls until an agreed-mode request's answer is accepted (or already final) and returns
     * it; throws {@link RequestRefundedError} if the committee reached no answer and
     * {@link ResultTimeoutError} after `timeoutMs`.
     */
    waitForAcceptance: async (requestId: bigint, { timeoutMs = 300_000, pollMs = 100 } = {}) => {
      const start = Date.now();
      for (;;) {
        const r = await agreedResult(requestId);
        if (r.phase === 'Accepted' || r.phase === 'Finalized') return r;
        if (r.phase === 'Refunded') throw new RequestRefundedError({ requestId, reason: 'the committee reached no answer' });
        if (Date.now() - start > timeoutMs) throw new ResultTimeoutError({ requestId, timeoutMs });
        await new Promise((res) => setTimeout(res, pollMs));
      }
    },

    /**
     * Polls until the request is fulfilled (returns the answer) or refunded (throws
     * {@link RequestRefundedError}); {@link ResultTimeoutError} after `timeoutMs`.
     *
     * @example
     * const { mode, outputs, output, node } = await verity.waitForResult(requestId, { timeoutMs: 60_000 })
     * // proved: outputs[i] / 2 ** model.io.outputScale; agreed: hexToString(output)
     */
    waitForResult: async (requestId: bigint, { timeoutMs = 120_000, pollMs = 250 } = {}): Promise<VerityResult> => {
      const start = Date.now();
      for (;;) {
        const r = await publicClient.readContract({ address: addresses.coprocessor, abi: coprocessorAbi, functionName: 'getRequest', args: [requestId] });
        if (RequestStatus[r.status] === 'Refunded') throw new RequestRefundedError({ requestId });
        if (RequestStatus[r.status] === 'Fulfilled') {
          // Read backwards from the head, never below the request's block (proved) or the deployment's.
          const floor = r.drawBlock > 0n ? r.drawBlock : (fromBlock ?? 0n);
          const fulfilled = await findLatestLog(publicClient, { address: addresses.coprocessor, abi: coprocessorAbi, eventName: 'Fulfilled', args: { requestId }, fromBlock: floor });
          if (!fulfilled) {
            // The node may not serve the logs of the block it just made yet: ask again until the timeout.
            if (Date.now() - start > timeoutMs) throw new EventNotFoundError({ event: 'Fulfilled', where: `blocks ${floor} to the head (the request is fulfilled)`, requestId });
            await new Promise((res) => setTimeout(res, pollMs));
            continue;
          }
          const receipt = await publicClient.getTransactionReceipt({ hash: fulfilled.transactionHash });
          const completed = parseEventLogs({ abi: coprocessorAbi, logs: receipt.logs, eventName: 'CallbackCompleted' })[0];
          const mode = modeName(r.mode);
          const agreed = mode === 'agreed';
          return {
            requestId,
            node: fulfilled.args.node,
            mode,
            output: fulfilled.args.output,
            outputs: agreed ? [] : decodeProvedOutput(fulfilled.args.output),
            fulfilTx: fulfilled.transactionHash,
            callbackSucceeded: completed?.args.success,
            blockNumber: fulfilled.blockNumber,
          };
        }
        if (Date.now() - start > timeoutMs) throw new ResultTimeoutError({ requestId, timeoutMs });
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
  };
}

export type VerityClient = ReturnType<typeof createVerityClient>;
