import type { Db } from './database.js';

export interface IntegrityResult {
  ok: boolean;
  /** SQLite's first complaint (page numbers, no data), when not ok. */
  problem: string | null;
  ms: number;
}

/**
 * PRAGMA quick_check: every page read (and, with the authenticated cipher,
 * authenticated) and the b-trees checked, without the slower index cross-check.
 * A page that cannot be read at all is reported as a problem, not thrown.
 */
export function quickCheck(db: Db): IntegrityResult {
  const started = performance.now();
  try {
    const rows = db.pragma('quick_check(20)') as { quick_check: string }[];
    const first = rows[0]?.quick_check ?? 'ok';
    return { ok: rows.length === 1 && first === 'ok', problem: first === 'ok' ? null : first, ms: performance.now() - started };
  } catch (cause) {
    return { ok: false, problem: (cause as { code?: string })?.code ?? (cause as Error)?.message ?? 'unreadable', ms: performance.now() - started };
  }
}
