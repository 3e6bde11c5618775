// The CLI's own typed errors: a command line it cannot run, a file it cannot find.
import { BaseError } from '@verity/errors';
import { decodeRevert, rpcUnreachable } from '@verity/sdk/errors';
import { groupSynopsis, resolveCommand, usageOf } from './usage.js';

/**
 * The command line is wrong: a missing or malformed argument, or an unknown option. The details
 * quote the command's synopsis from its usage entry.
 *
 * @example
 * throw new UsageError({ command: 'compile', problem: 'needs one <model.onnx> and --out DIR' })
 */
export class UsageError extends BaseError {
  override name = 'UsageError';
  /** the command as typed after `verity` ("node stake"), when known */
  readonly command: string | undefined;
  readonly problem: string;
  constructor({ command, problem }: { command?: string; problem: string }) {
    const synopsis = command === undefined ? undefined : (usageOf(command)?.synopsis ?? groupSynopsis(command));
    super(command === undefined ? problem : `verity ${command}: ${problem}`, {
      details: `${synopsis ? `usage: ${synopsis}\n` : ''}\`verity help${command ? ` ${command}` : ''}\` prints the options.`,
    });
    this.command = command;
    this.problem = problem;
  }
}

/**
 * A command (or subcommand) the CLI does not have.
 *
 * @example
 * throw new UnknownCommandError({ command: 'bogus' })
 */
export class UnknownCommandError extends BaseError {
  override name = 'UnknownCommandError';
  readonly command: string;
  constructor({ command }: { command: string }) {
    super(`unknown command "${command}" (verity help lists the commands)`);
    this.command = command;
  }
}

/**
 * A file or directory named on the command line (or in a file it names) that does not exist.
 *
 * @example
 * throw new FileNotFoundError({ path: 'input.json' })
 */
export class FileNotFoundError extends BaseError {
  override name = 'FileNotFoundError';
  readonly path: string;
  constructor({ path, cause }: { path: string; cause?: unknown }) {
    super(`file not found: ${path}`, { cause });
    this.path = path;
  }
}

/**
 * The typed error a failure shows the user as: Verity's own errors as they are; a contract revert
 * decoded; an RPC that did not answer, an unknown option and a missing file as the errors above
 * (`argv` says which command was parsed). Undefined for anything else (a bug: its stack is shown).
 *
 * @example
 * const shown = userError(e, process.argv.slice(2)); if (shown) console.error(`error: ${shown.name}: ${shown.shortMessage}`)
 */
export function userError(e: unknown, argv: readonly string[]): BaseError | undefined {
  if (e instanceof BaseError) return e;
  const revert = decodeRevert(e);
  if (revert instanceof BaseError) return revert;
  const rpc = rpcUnreachable(e);
  if (rpc) return rpc;
  const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : undefined;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    // An unknown or malformed option: node's own message names it.
    const entry = resolveCommand(argv);
    return new UsageError({ command: 'unknown' in entry ? undefined : 'group' in entry ? entry.group : entry.command, problem: (e as Error).message.split('. To specify')[0]! });
  }
  if (code === 'ENOENT' && typeof (e as { path?: unknown }).path === 'string') return new FileNotFoundError({ path: (e as { path: string }).path, cause: e });
  return undefined;
}
