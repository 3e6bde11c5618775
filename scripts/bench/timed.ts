import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// GNU time (Debian's `time` package) reports the peak memory of the largest process of a run
// (circom's or the native core's included) and the CPU seconds of all of them.
export const gnuTime = existsSync('/usr/bin/time');

/** Runs `cmd` to the end under GNU time (when installed): its output, wall and CPU seconds, peak MB. */
export const timed = (cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) => {
  const r = spawnSync(gnuTime ? '/usr/bin/time' : cmd, gnuTime ? ['-v', cmd, ...args] : args, {
    env: options.env ?? process.env, input: options.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 26,
  });
  const field = (re: RegExp) => Number(re.exec(r.stderr)?.[1] ?? NaN);
  const [h, m, s] = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)?.slice(1) ?? [];
  return {
    ...r,
    peakMb: field(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    cpuSeconds: field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/),
    wallSeconds: Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s),
  };
};
