import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { looksLikeNumber } from '../domain/digits.js';
import { unsafeTextProblem } from '../domain/text-safety.js';
import { writeTransaction } from '../storage/database.js';
import { RestoreDrillsRepo, type RestoreDrillRow } from '../storage/restore-drills-repo.js';
import { FormError, type FieldErrors } from './accounts.js';
import type { Vault } from './vault.js';

/**
 * A restore drill is due this many months after the last successful one: the
 * operations manual asks for one at least twice a year (docs/operations.md,
 * "Backup and restore drill"). A failed drill is due again at once.
 */
export const DRILL_INTERVAL_MONTHS = 6;

export interface DrillState {
  last: RestoreDrillRow | null;
  /** The day the next drill is due (Japan date), or null when no drill was ever recorded. */
  due: string | null;
  overdue: boolean;
}

/** The latest drill and the next one due (one row read along restore_drills_on). */
export function drillState(vault: Pick<Vault, 'db' | 'clock'>): DrillState {
  const [last] = new RestoreDrillsRepo(vault.db).latest(1);
  if (!last) return { last: null, due: null, overdue: false };
  const due = last.result === 'ok' ? addMonths(last.drilledOn, DRILL_INTERVAL_MONTHS) : last.drilledOn;
  return { last, due, overdue: due <= japanDate(vault.clock.now()) };
}

export function recentDrills(vault: Pick<Vault, 'db'>, limit = 5): RestoreDrillRow[] {
  return new RestoreDrillsRepo(vault.db).latest(limit);
}

/** Records a drill done on a second machine: its day (not in the future), result and a short note; audited. */
export function recordDrill(vault: Pick<Vault, 'db' | 'audit' | 'clock'>, actor: Actor, input: { drilledOn?: string; result?: string; note?: string }, client: string | null): RestoreDrillRow {
  const errors: FieldErrors = {};
  const today = japanDate(vault.clock.now());
  const drilledOn = parseDate((input.drilledOn ?? '').trim());
  if (!drilledOn) errors.drilledOn = '訓練の日を 2026-04-01 や 令和8年4月1日 の形で入れてください。';
  else if (drilledOn > today) errors.drilledOn = '訓練の日が未来の日付です。行った日を入れてください。';
  const result: RestoreDrillRow['result'] | undefined = input.result === 'ok' || input.result === 'failed' ? input.result : undefined;
  if (!result) errors.result = '結果（番号を1件開けて成功／失敗）を選んでください。';
  const note = (input.note ?? '').trim();
  if (note.length > 200) errors.note = 'メモは200文字以内にしてください。';
  else if (looksLikeNumber(note)) errors.note = 'メモに個人番号のような12桁の数字は書かないでください。';
  else {
    const unsafe = unsafeTextProblem('メモ', note);
    if (unsafe) errors.note = unsafe;
  }
  if (Object.keys(errors).length > 0 || !drilledOn || !result) throw new FormError(errors);
  const at = vault.clock.now().toISOString();
  const row: Omit<RestoreDrillRow, 'id'> = { drilledOn, result, note, recordedBy: actor.id, recordedAt: at };
  const id = writeTransaction(vault.db, () => {
    const id = new RestoreDrillsRepo(vault.db).insert(row);
    vault.audit.append({ actor, action: 'restore.drill_recorded', client, detail: { drilled_on: drilledOn, result } });
    return id;
  });
  return { id, ...row };
}

/** An ISO date plus whole months; the 31st of a shorter month becomes its last day. */
function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}
