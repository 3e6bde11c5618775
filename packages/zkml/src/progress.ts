/** A long step's progress: what it is doing, how far (0-100) when known. */
export type ProgressEvent = { phase: string; percent?: number };
export type Progress = (e: ProgressEvent) => void;

/**
 * A snarkjs logger that turns its counters ("writing coeffs: 300000/1200000", "Writing
 * points end C: 1024/4096") into progress events of `phase`, one per whole percent of each
 * counter, and its info lines into phase changes.
 */
export function snarkjsLogger(phase: string, progress: Progress) {
  // Parallel chunks report out of order: only a counter's new highest percentage is reported.
  const best = new Map<string, number>();
  const emit = (msg: unknown) => {
    const m = /^(.*?):?\s*(\d+)\/(\d+)\s*$/.exec(String(msg));
    if (!m) return;
    const label = m[1]!.replace(/^Writing points (start|end) /, 'writing points ');
    const percent = Math.min(100, Math.floor((Number(m[2]) / Math.max(1, Number(m[3]))) * 100));
    if ((best.get(label) ?? -1) >= percent) return;
    best.set(label, percent);
    progress({ phase: `${phase}: ${label}`, percent });
  };
  return {
    debug: emit,
    info: (msg: unknown) => { const s = String(msg); if (!s.includes('hash')) progress({ phase: `${phase}: ${s.toLowerCase()}` }); },
    warn: () => {},
    error: () => {},
  };
}
