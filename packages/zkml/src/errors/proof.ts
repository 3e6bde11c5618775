import { BaseError } from '@verity/errors';

/** A proof file that is not what `verity prove` writes: not JSON, or a field of the wrong form. */
export class MalformedProofFileError extends BaseError {
  override name = 'MalformedProofFileError';
  /** the field at fault (`proof.pi_b`, `publicSignals`, ...), or `file` for the whole file */
  readonly field: string;
  readonly problem: string;
  constructor({ field, problem, path }: { field: string; problem: string; path?: string }) {
    super(`${path ? `${path}: ` : ''}not a proof file: ${field === 'file' ? problem : `${field} ${problem}`}`, {
      details: 'A proof file is what `verity prove` writes: {"proof": {pi_a, pi_b, pi_c, ...}, "publicSignals": [...], "outputs": [...], ...}.',
    });
    this.field = field;
    this.problem = problem;
  }
}

/**
 * A proof file whose proof verifies but whose decoded fields (`outputs`, `outputIntegers`,
 * `inputCommitment`, `binding`) say something other than its public signals: the file was
 * edited, and whoever reads the answer from it would be fooled.
 */
export class ProofFileMismatchError extends BaseError {
  override name = 'ProofFileMismatchError';
  readonly field: string;
  /** what the verified public signals decode to */
  readonly expected: unknown;
  /** what the file claims */
  readonly found: unknown;
  constructor({ field, expected, found }: { field: string; expected: unknown; found: unknown }) {
    super(`the proof verifies, but the file's ${field} is ${show(found)} where its public signals decode to ${show(expected)}`, {
      details: 'The file was altered after proving: trust only the answer decoded from verified public signals (what `verity verify` prints).',
    });
    this.field = field;
    this.expected = expected;
    this.found = found;
  }
}

const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
