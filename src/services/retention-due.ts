import { japanDate } from '../domain/dates.js';
import { isDue } from '../domain/retention.js';
import { tryWriteNow, writeTransaction } from '../storage/database.js';
import { RetentionDueRepo } from '../storage/retention-due-repo.js';
import { retentionEndsOf, type RetentionOverview } from './retention.js';
import type { Vault } from './vault.js';

/** The part of the vault `refreshRetentionDue`, `refreshRetentionDueForRead` and `retentionOverviewFromColumn` use. */
export type RetentionDueStore = Pick<Vault, 'db' | 'persons' | 'roles' | 'retention' | 'clock'>;

/** Marked persons recomputed per batch (one candidates query and one roles read each). */
const BATCH = 5_000;

/**
 * Brings persons.retention_end / retention_due (migration 190) up to date:
 * every marked person that is visible (not in an import still being stored)
 * is recomputed with the domain rule (retentionEndsOf), and on a new day the
 * persons whose end the day passed become due. One batch per transaction, so
 * after a large import other writers get their turn between batches. Cheap
 * when nothing is marked and the day is the same. Returns how many marked
 * persons it recomputed.
 */
export function refreshRetentionDue(vault: RetentionDueStore): number {
  const repo = new RetentionDueRepo(vault.db);
  const today = japanDate(vault.clock.now());
  let done = 0;
  while (repo.stale(today)) done += writeTransaction(vault.db, () => refreshIn(vault, repo, today, 1));
  return done;
}

/**
 * The same for a reader (the home page, the 保存期間経過 filter): when another
 * process holds the write lock (an import storing its chunks), the stored
 * values are served as they are rather than waiting for the lock; the next
 * reader, or the import itself when it ends, brings them up to date.
 */
export function refreshRetentionDueForRead(vault: RetentionDueStore): void {
  const repo = new RetentionDueRepo(vault.db);
  const today = japanDate(vault.clock.now());
  if (!repo.stale(today)) return;
  tryWriteNow(vault.db, () => writeTransaction(vault.db, () => refreshIn(vault, repo, today, Infinity)));
}

/** The home page's retention counts, from the maintained counts (no walk of the register). */
export function retentionOverviewFromColumn(vault: RetentionDueStore): RetentionOverview {
  refreshRetentionDueForRead(vault);
  const repo = new RetentionDueRepo(vault.db);
  return { ended: repo.count('ended'), due: repo.count('due'), held: repo.heldDue() };
}

function refreshIn(vault: Pick<Vault, 'persons' | 'roles' | 'retention'>, repo: RetentionDueRepo, today: string, batches: number): number {
  let done = 0;
  let after = 0;
  for (let b = 0; b < batches; b++) {
    const ids = repo.marked(after, BATCH);
    if (ids.length === 0) break;
    const ends = retentionEndsOf(vault, ids);
    repo.store(ids.map((id) => {
      const end = ends.get(id) ?? null;
      return { id, end, due: end !== null && isDue(end, today) };
    }));
    done += ids.length;
    after = ids[ids.length - 1]!;
  }
  if (repo.day() !== today) repo.moveToDay(today);
  return done;
}
