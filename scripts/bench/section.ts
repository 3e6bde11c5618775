import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/**
 * Replaces the BENCHMARKS.md section that starts with `heading` (up to the next `## `) by
 * `section`, with a "Measured <date> on <machine>" line under its title, keeping the rest of
 * the file; appends the section when the file has none. Prints the section.
 */
export function writeBenchSection(heading: string, section: string[]): void {
  const lines = [...section];
  lines.splice(2, 0, `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`, '');
  let md = '';
  try { md = readFileSync('BENCHMARKS.md', 'utf8'); } catch { /* first run */ }
  const start = md.indexOf(heading);
  const next = start < 0 ? -1 : md.indexOf('\n## ', start + 1);
  // One blank line between this section and the next, whether or not `section` ends with one.
  const text = `${lines.join('\n').trimEnd()}\n`;
  md = start < 0 ? `${md.trimEnd()}\n\n${text}` : `${md.slice(0, start)}${text}${next < 0 ? '' : `\n${md.slice(next + 1)}`}`;
  writeFileSync('BENCHMARKS.md', md);
  console.log(lines.join('\n'));
}
