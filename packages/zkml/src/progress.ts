/** A long step's progress: what it is doing, how far (0-100) when known. */
export type ProgressEvent = { phase: string; percent?: number };
export type Progress = (e: ProgressEvent) => void;
