// `verity help`, `verity <command> --help`: which usage text a command line asks for.
import { UnknownCommandError } from './errors.js';
import { commandHelp, overview, resolveCommand } from './usage.js';

/**
 * What `verity help [<command>]` or `verity <command> … --help` (or `-h`, before any `--`) prints:
 * the command's usage, a group's subcommands or every command; undefined when no help was asked
 * for. Throws {@link UnknownCommandError} for help on a command that does not exist.
 *
 * @example
 * helpFor(['node', 'stake', '--help']) === helpFor(['help', 'node', 'stake']) // true
 */
export function helpFor(argv: readonly string[]): string | undefined {
  const [command, ...rest] = argv;
  const end = argv.indexOf('--');
  const asked = argv.slice(0, end < 0 ? argv.length : end).some((a) => a === '--help' || a === '-h');
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = rest.filter((a) => !a.startsWith('-'));
    if (topic.length === 0) return overview();
    return helpFor([...topic, '--help']);
  }
  if (!asked || command === undefined) return undefined;
  const entry = resolveCommand(argv);
  if ('unknown' in entry) throw new UnknownCommandError({ command: entry.unknown });
  return commandHelp(entry);
}
