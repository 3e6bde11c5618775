/**
 * How to read a proved model's outputs (already divided by 2^outputScale): a classifier's
 * labels, in output order (the answer is the label of the largest output), or the name of the
 * one value a regression model gives, with an optional multiplier, unit and number of digits.
 */
export type AnswerFormat =
  | { labels: readonly string[] }
  | { name: string; multiplier?: number; unit?: string; digits?: number };

/**
 * A proved answer as a person reads it: the winning label, or the named value; without a
 * format (or with labels that do not match the outputs) the outputs themselves, to 3 decimals.
 *
 * @example
 * describeAnswer([5.672, -3.412], { labels: ['not spam', 'spam'] }) // 'not spam'
 * describeAnswer([0.7132], { name: 'score', digits: 3 })            // 'score 0.713'
 */
export function describeAnswer(outputs: readonly number[], format?: AnswerFormat): string {
  if (format && 'labels' in format && format.labels.length === outputs.length && outputs.length > 0) {
    return format.labels[outputs.indexOf(Math.max(...outputs))]!;
  }
  if (format && 'name' in format && outputs.length === 1) {
    const { name, multiplier = 1, unit, digits = 3 } = format;
    return `${name} ${(outputs[0]! * multiplier).toFixed(digits)}${unit ? ` ${unit}` : ''}`;
  }
  return outputs.map((v) => v.toFixed(3)).join(', ');
}
