import { PURPOSES } from '../src/domain/purposes.js';

/** Synthetic persons are "notified" of every purpose of their kind: an import now records only the purposes chosen. */
export const BENCH_PURPOSES: string[] = PURPOSES.map((p) => p.code);
