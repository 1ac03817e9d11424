import { findEntryPurpose } from '../domain/entry-purposes.js';
import { cardReadFailureLabel } from '../domain/card-read-failures.js';
import { AppError } from '../domain/errors.js';
import { findPurpose } from '../domain/purposes.js';
import type { EntryRecords } from '../services/entry-records.js';
import type { DoorAlarm, EntryLogRow } from '../services/entry-records.js';
import { M } from './messages.js';
import { formatTime } from './view-models.js';
import { japanClock, japanMonthStart } from '../domain/dates.js';

export const ENTRY_LOG_PAGE_SIZE = 50;

/** A calendar month in Japan time (YYYY-MM) as the UTC instants that bound it. */
export function parseMonth(input: unknown): { month: string; from: string; to: string } {
  const m = typeof input === 'string' ? /^([0-9]{4})-([0-9]{2})$/u.exec(input) : null;
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  if (!m || y < 2000 || mo < 1 || mo > 12) throw new AppError('invalid', M.entries.badMonth);
  return {
    month: input as string,
    from: japanMonthStart(y, mo),
    to: japanMonthStart(y, mo + 1),
  };
}

export function monthOf(at: Date): string {
  return japanClock(at).slice(0, 7);
}

export function parsePage(input: unknown): number {
  if (input === undefined) return 1;
  if (typeof input !== 'string' || !/^[1-9][0-9]{0,5}$/u.test(input)) throw new AppError('invalid', M.entries.badPage);
  return Number(input);
}

/** One line of the entry log as the page shows it: labels, never a number. */
export interface EntryLogLine {
  seq: number;
  at: string;
  event: string;
  alarm: boolean;
  /** A refusal at the appliance (wrong PIN, lock, refused approval or key). */
  refusal?: boolean;
  who: string;
  kind: string;
  purpose: string;
  persons: string;
  device: string;
  method: string;
  remark: string;
  acknowledgement: string;
}

type Detail = Record<string, string | number | boolean | null | undefined>;

function purposeLabel(code: string | null): string {
  if (!code) return '';
  return findEntryPurpose(code)?.label ?? findPurpose(code)?.name ?? code;
}

function acknowledgementOf(alarm: DoorAlarm | undefined): string {
  if (!alarm) return '';
  if (!alarm.acknowledgedAt) return M.door.unacknowledged;
  const by = M.entries.ackBy.replace('{name}', alarm.acknowledgedByName ?? '').replace('{at}', formatTime(alarm.acknowledgedAt));
  return `${by}「${alarm.note ?? ''}」`;
}

/** The entry log for a month, newest first: approvals at the appliance interleaved with door events and alarms. */
export function entryLogPage(records: EntryRecords, month: { from: string; to: string }, page: number): { lines: EntryLogLine[]; total: number; pages: number } {
  const total = records.count(month.from, month.to);
  const rows = records.page(month.from, month.to, ENTRY_LOG_PAGE_SIZE, (page - 1) * ENTRY_LOG_PAGE_SIZE);
  return { lines: entryLogLines((ids) => records.alarms(ids), rows), total, pages: Math.max(1, Math.ceil(total / ENTRY_LOG_PAGE_SIZE)) };
}

/** Rows of the entry log as lines (the page and the printed 入退室記録 say the same thing). */
export function entryLogLines(alarmsById: (ids: readonly number[]) => Map<number, DoorAlarm>, rows: readonly EntryLogRow[]): EntryLogLine[] {
  const details = rows.map((r) => JSON.parse(r.detail) as Detail);
  const alarmIds = details.map((d) => d.alarm_id).filter((id): id is number => typeof id === 'number');
  const alarms = alarmsById(alarmIds);
  const lines = rows.map((r, i): EntryLogLine => {
    const d = details[i]!;
    const base = { seq: r.seq, at: formatTime(r.at), device: r.device ?? '', kind: '', purpose: '', persons: '', method: '', remark: '', acknowledgement: '' };
    if (r.action === 'gate.entry') {
      const kind = String(d.kind ?? '');
      return {
        ...base,
        event: M.entries.approval,
        alarm: false,
        who: r.actorName,
        kind: M.entries.kinds[kind] ?? kind,
        purpose: purposeLabel(r.purpose),
        persons: kind === 'entry' ? '—' : `${(JSON.parse(r.subjects) as unknown[]).length} 名`,
        method: M.entries.methods[String(d.method)] ?? String(d.method ?? ''),
        remark: typeof d.note === 'string' ? d.note : '',
      };
    }
    const refused = M.entries.refusals[r.action];
    if (refused !== undefined) {
      const reason =
        r.action === 'card.read_failed'
          ? [cardReadFailureLabel(d.reason), typeof d.tries_left === 'number' ? `残り ${d.tries_left} 回` : ''].filter(Boolean).join(' ')
          : typeof d.reason === 'string' ? (M.entries.refusalReasons[d.reason] ?? d.reason) : '';
      const failures = typeof d.failures === 'number' ? M.entries.failures.replace('{n}', String(d.failures)) : '';
      return { ...base, event: refused, alarm: false, refusal: true, who: r.actorName, purpose: purposeLabel(r.purpose), remark: [reason, failures, d.request_id ? `申請 #${d.request_id}` : ''].filter(Boolean).join(' ') };
    }
    const alarm = typeof d.alarm_id === 'number' && r.action !== 'door.alarm_acknowledged';
    let remark = '';
    if (r.action === 'door.opened') remark = d.authorised ? `${M.entries.authorised}${d.request_id ? `（申請 #${d.request_id}）` : ''}` : M.entries.unauthorised;
    else if (r.action === 'door.held') remark = M.door.openSeconds.replace('{s}', String(d.open_seconds ?? ''));
    else if (r.action === 'door.sensor_failed' || r.action === 'door.relay_failed') remark = String(d.reason ?? '');
    else if (r.action === 'door.alarm_acknowledged') remark = `${M.door.kind[String(d.kind)] ?? ''}「${String(d.note ?? '')}」`;
    return {
      ...base,
      event: M.entries.doorEvents[r.action] ?? r.action,
      alarm,
      who: r.action === 'door.alarm_acknowledged' ? r.actorName : '',
      remark,
      acknowledgement: alarm ? acknowledgementOf(alarms.get(d.alarm_id as number)) : '',
    };
  });
  return lines;
}
