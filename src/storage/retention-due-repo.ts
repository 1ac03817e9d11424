import type { PersonId } from '../domain/persons.js';
import type { Db } from './database.js';

/** A marked person is in no import still being stored (import_batches, as register-query.ts VISIBLE). */
const VISIBLE_MARK = 'NOT EXISTS (SELECT 1 FROM import_batches b WHERE d.person_id BETWEEN b.first_id AND b.last_id)';

/**
 * persons.retention_end / retention_due, the marks of persons to recompute
 * (retention_dirty), the day retention_due was brought up to and the counts
 * the triggers keep (migration 190). The values come from services/retention-due.ts.
 */
export class RetentionDueRepo {
  constructor(private readonly db: Db) {}

  /** True when the day differs from the one retention_due was brought up to, or a visible person is marked. */
  stale(today: string): boolean {
    return (
      this.db
        .prepare(`SELECT (SELECT day FROM retention_due_day WHERE one = 1) IS NOT ? OR EXISTS (SELECT 1 FROM retention_dirty d WHERE ${VISIBLE_MARK})`)
        .pluck()
        .get(today) === 1
    );
  }

  /** Marked visible persons after `after`, in id order, up to `limit`. */
  marked(after: PersonId, limit: number): PersonId[] {
    return this.db.prepare(`SELECT d.person_id FROM retention_dirty d WHERE d.person_id > ? AND ${VISIBLE_MARK} ORDER BY d.person_id LIMIT ?`).pluck().all(after, limit) as PersonId[];
  }

  /** Stores the persons' ends and whether they are due, and clears their marks. */
  store(rows: readonly { id: PersonId; end: string | null; due: boolean }[]): void {
    const set = this.db.prepare('UPDATE persons SET retention_end = @end, retention_due = @due WHERE id = @id AND (retention_end IS NOT @end OR retention_due IS NOT @due)');
    const unmark = this.db.prepare('DELETE FROM retention_dirty WHERE person_id = ?');
    for (const r of rows) {
      set.run({ id: r.id, end: r.end, due: r.due ? 1 : 0 });
      unmark.run(r.id);
    }
  }

  day(): string | undefined {
    return this.db.prepare('SELECT day FROM retention_due_day WHERE one = 1').pluck().get() as string | undefined;
  }

  /** A new day: due is end < today (persons_retention_end, both ways: a clock set back too). */
  moveToDay(today: string): void {
    this.db.prepare('UPDATE persons SET retention_due = 1 WHERE retention_end < ? AND retention_due = 0').run(today);
    this.db.prepare('UPDATE persons SET retention_due = 0 WHERE retention_end >= ? AND retention_due = 1').run(today);
    this.db.prepare('INSERT INTO retention_due_day (one, day) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET day = excluded.day').run(today);
  }

  /** A maintained count: 'ended' (every role ended, number held) or 'due' (past its end), for all kinds and statuses. */
  count(f: 'ended' | 'due'): number {
    return (this.db.prepare('SELECT n FROM retention_counts WHERE key = ?').pluck().get(`k=*;s=*;f=${f}`) as number | undefined) ?? 0;
  }

  /** Due persons under an active legal hold (holds are few: read from their own table). */
  heldDue(): number {
    return this.db
      .prepare('SELECT count(DISTINCT h.person_id) FROM legal_holds h JOIN persons p ON p.id = h.person_id WHERE h.cleared_at IS NULL AND p.retention_due = 1')
      .pluck()
      .get() as number;
  }
}
