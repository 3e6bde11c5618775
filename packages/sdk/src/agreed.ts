import { decodeAbiParameters, encodeAbiParameters, hexToString, keccak256, parseEventLogs, parseSignature, recoverTypedDataAddress, serializeSignature, stringToHex, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import { BaseError } from '@verity/errors';
import type { Wallet } from './deploy.js';
import { committeeAbi, modelRegistryAbi } from './generated/contracts.js';
import { sendContract } from './send.js';

/** How validators decide that the leader's answer is equivalent to their own (Committee.Criterion). */
export const Criterion = { Exact: 0, Numeric: 1, Label: 2, Comparative: 3 } as const;
export type CriterionName = keyof typeof Criterion;
export const CRITERIA = Object.keys(Criterion) as CriterionName[];

/** Committee.Phase, by index (`Drawing`: waiting for `draw` to pick the next round's members from a later block's hash). */
export const AgreedPhase = ['None', 'Propose', 'Commit', 'Reveal', 'Accepted', 'Finalized', 'Refunded', 'Drawing'] as const;
export type AgreedPhase = (typeof AgreedPhase)[number];
/** Committee.Vote */
export const Vote = { None: 0, Agree: 1, Disagree: 2 } as const;
/** Committee.Outcome, by index. */
export const RoundOutcome = ['Open', 'Accepted', 'Rejected', 'Undecided', 'NoProposal'] as const;

/** An agreed-mode model's equivalence rule (Committee.setRule). */
export type AgreedRule = {
  criterion: CriterionName;
  /** Numeric: the largest difference still equivalent */
  tolerance?: bigint;
  /** Label: the allowed answers (at least two) */
  labels?: string[];
  /** what validators are asked (the prompt's task), e.g. "Did the critics love the film? Answer loved, mixed or panned." */
  instructions: string;
};

/** The rule as the Committee stores it (labels as keccak256 hashes). */
export type StoredRule = { criterion: CriterionName; tolerance: bigint; labelHashes: Hex[]; instructions: string };

/** An answer the model's rule cannot accept (a label outside the set, a non-number for Numeric). */
export class InvalidAnswerError extends BaseError {
  override name = 'InvalidAnswerError';
  constructor({ answer, reason }: { answer: string; reason: string }) {
    super(`The answer ${JSON.stringify(answer.slice(0, 80))} does not fit the model's rule: ${reason}`);
  }
}

/**
 * An agreed-mode rule the Committee could not apply (a Label rule with fewer than two labels).
 *
 * @example
 * await registerAgreedModel(publicClient, wallet, { ...p, rule: { criterion: 'Label', labels: ['yes', 'no'], tolerance: 0n, instructions } })
 */
export class InvalidRuleError extends BaseError {
  override name = 'InvalidRuleError';
  readonly criterion: string;
  constructor({ criterion, problem }: { criterion: string; problem: string }) {
    super(`A ${criterion} rule cannot be registered: ${problem}`);
    this.criterion = criterion;
  }
}

/** Exact-match normalisation: trimmed, lower-cased, runs of white space as one space. */
export const normalizeAnswer = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, ' ');

/** The number a Numeric answer's text gives: its first decimal number, rounded to an integer. */
export function parseNumericAnswer(text: string): bigint {
  const match = text.match(/-?\d+(\.\d+)?/);
  if (!match) throw new InvalidAnswerError({ answer: text, reason: 'a Numeric model answers a number' });
  return BigInt(Math.round(Number(match[0])));
}

/**
 * The bytes a leader proposes for `text` under `rule`: Numeric answers are `abi.encode(int256)`
 * of the number rounded to an integer; every other criterion is the normalised UTF-8 text (a
 * Label answer must be one of the labels).
 */
export function encodeAnswer(rule: Pick<StoredRule, 'criterion' | 'labelHashes'>, text: string): Hex {
  if (rule.criterion === 'Numeric') return encodeAbiParameters([{ type: 'int256' }], [parseNumericAnswer(text)]);
  const bytes = stringToHex(normalizeAnswer(text));
  if (rule.criterion === 'Label' && !rule.labelHashes.includes(keccak256(bytes))) {
    throw new InvalidAnswerError({ answer: text, reason: 'not one of the model\'s labels' });
  }
  if (bytes.length < 4 || (bytes.length - 2) / 2 > 4096) throw new InvalidAnswerError({ answer: text, reason: 'answers are 1 to 4096 bytes' });
  return bytes;
}

/** The answer bytes as text: the number for Numeric, the UTF-8 string otherwise. */
export function decodeAnswer(criterion: CriterionName, answer: Hex): string {
  if (criterion === 'Numeric') return decodeAbiParameters([{ type: 'int256' }], answer)[0].toString();
  return hexToString(answer);
}

/** The sealed vote a member commits: `keccak256(abi.encode(requestId, round, member, vote, salt))`. */
export function voteCommitment(p: { requestId: bigint; round: number; member: Address; vote: 1 | 2; salt: Hex }): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: 'uint256' }, { type: 'uint8' }, { type: 'address' }, { type: 'uint8' }, { type: 'bytes32' }],
    [p.requestId, p.round, p.member, p.vote, p.salt],
  ));
}

/**
 * A member's sealed vote for a seat, as it signs it off chain (EIP-712 `Ballot`) for
 * `Committee.proposeSigned` or `Committee.commitSigned`: `answer` is the keccak256 of the answer
 * voted on (the leader's proposal, or under an appeal the accepted answer), so a ballot counts
 * only for the answer its member saw.
 */
export type Ballot = { requestId: bigint; round: number; seat: number; commitment: Hex; answer: Hex };

/** A ballot with its signer's signature, in the form `proposeSigned` and `commitSigned` take. */
export type SignedBallot = { seat: number; commitment: Hex; v: number; r: Hex; s: Hex };

/** An opened vote, in the form `Committee.revealMany` takes: the salt opens the seat's commitment. */
export type Opening = { seat: number; vote: 1 | 2; salt: Hex };

/**
 * The EIP-712 typed data of a ballot on `committee` (domain "Verity Committee", version "1"):
 * what a member signs so that another (the round's leader) can send its commit for it.
 *
 * @example
 * const signature = await account.signTypedData(ballotTypedData(committee, 31337, { requestId: 1n, round: 0, seat: 2, commitment, answer: keccak256(proposal) }))
 */
export function ballotTypedData(committee: Address, chainId: number, b: Ballot) {
  return {
    domain: { name: 'Verity Committee', version: '1', chainId, verifyingContract: committee },
    types: { Ballot: [{ name: 'requestId', type: 'uint256' }, { name: 'round', type: 'uint8' }, { name: 'seat', type: 'uint8' }, { name: 'commitment', type: 'bytes32' }, { name: 'answer', type: 'bytes32' }] },
    primaryType: 'Ballot',
    message: { requestId: b.requestId, round: b.round, seat: b.seat, commitment: b.commitment, answer: b.answer },
  } as const;
}

/**
 * Signs a ballot with the member's key, in the form `proposeSigned` and `commitSigned` take.
 *
 * @example
 * const signed = await signBallot(account, committee, 31337, { requestId: 1n, round: 0, seat: 2, commitment, answer: keccak256(proposal) })
 */
export async function signBallot(account: { signTypedData: LocalAccount['signTypedData'] }, committee: Address, chainId: number, b: Ballot): Promise<SignedBallot> {
  const { r, s, v, yParity } = parseSignature(await account.signTypedData(ballotTypedData(committee, chainId, b)));
  return { seat: b.seat, commitment: b.commitment, v: Number(v ?? BigInt(27 + yParity)), r, s };
}

/**
 * Who signed a ballot on the answer whose keccak256 is `answer` (undefined for a malformed
 * signature): the round's member holding `seat`, or the ballot is not theirs.
 *
 * @example
 * const signer = await ballotSigner(committee, 31337, 1n, 0, signed, keccak256(proposal))
 */
export async function ballotSigner(committee: Address, chainId: number, requestId: bigint, round: number, b: SignedBallot, answer: Hex): Promise<Address | undefined> {
  try {
    return await recoverTypedDataAddress({ ...ballotTypedData(committee, chainId, { requestId, round, seat: b.seat, commitment: b.commitment, answer }), signature: serializeSignature({ r: b.r, s: b.s, v: BigInt(b.v) }) });
  } catch {
    return undefined;
  }
}

/** Reads an agreed-mode model's rule from the Committee. */
export async function readRule(publicClient: PublicClient, committee: Address, modelId: Hex): Promise<StoredRule> {
  const r = await publicClient.readContract({ address: committee, abi: committeeAbi, functionName: 'getRule', args: [modelId] });
  return { criterion: CRITERIA[r.criterion]!, tolerance: r.tolerance, labelHashes: [...r.labels], instructions: r.instructions };
}

/**
 * Registers an agreed-mode model and sets its equivalence rule: the model owner's wallet. The
 * commitment pins what validators run (e.g. the sha256 of the ONNX file or the LLM's weights).
 *
 * @example
 * const { modelId } = await registerAgreedModel(publicClient, ownerWallet, {
 *   registry, committee, name: 'film-critic', fee: parseEther('0.001'), commitment: keccak256(toHex('llama3.1-8b-q4')),
 *   rule: { criterion: 'Label', labels: ['loved', 'mixed', 'panned'], instructions: 'Did the critics love the film?' },
 * })
 */
export async function registerAgreedModel(
  publicClient: PublicClient,
  wallet: Wallet,
  p: { registry: Address; committee: Address; name: string; fee: bigint; commitment: Hex; rule: AgreedRule },
): Promise<{ modelId: Hex }> {
  if (p.rule.criterion === 'Label' && (p.rule.labels?.length ?? 0) < 2) throw new InvalidRuleError({ criterion: 'Label', problem: 'it needs at least two labels' });
  // No verifier, no IO and no pinning: validators run the model the commitment names.
  const spec = {
    verifier: '0x0000000000000000000000000000000000000000', commitment: p.commitment, weightsCommitment: 0n,
    io: { inputCount: 0, inputWidth: 0, outputCount: 0, outputBits: 0, outputScale: 0 }, pinning: 0, setup: 0,
  } as const;
  const { receipt } = await sendContract(publicClient, wallet, { address: p.registry, abi: modelRegistryAbi, functionName: 'registerModel', args: [p.name, 1, spec, p.fee] });
  const [event] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: 'ModelRegistered' });
  const modelId = event!.args.modelId;
  const labels = (p.rule.labels ?? []).map(normalizeAnswer);
  await sendContract(publicClient, wallet, {
    address: p.committee, abi: committeeAbi, functionName: 'setRule', args: [modelId, Criterion[p.rule.criterion], p.rule.tolerance ?? 0n, labels, p.rule.instructions],
  });
  return { modelId };
}
