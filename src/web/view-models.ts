import { eraOf, japanClock } from '../domain/dates.js';
import { findPurpose } from '../domain/purposes.js';
import type { AuditRow } from '../services/audit-reading.js';
import { M } from './messages.js';

/** 西暦 with the 和暦 year beside it, as forms use both: 1990年4月1日（平成2年）. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso || !/^\d{4}-\d{2}-\d{2}$/u.test(iso)) return '';
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const era = eraOf(iso);
  const n = era ? y - era.firstYear + 1 : 0;
  const wareki = era ? `（${era.name}${n === 1 ? '元' : n}年）` : '';
  return `${y}年${m}月${d}日${wareki}`;
}

/** An instant in Japan time: 2026/04/01 09:30. */
export function formatTime(iso: string): string {
  const t = japanClock(iso);
  return `${t.slice(0, 4)}/${t.slice(5, 7)}/${t.slice(8, 10)} ${t.slice(11, 16)}`;
}

export interface HistoryRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  purpose: string;
}

export function toHistory(rows: readonly AuditRow[]): HistoryRow[] {
  return rows.map((r) => ({
    seq: r.seq,
    at: formatTime(r.at),
    actor: r.actorName,
    action: M.actions[r.action] ?? r.action,
    purpose: r.purpose ? (findPurpose(r.purpose)?.name ?? r.purpose) : '',
  }));
}
