import type { PersonKind, PersonStatus } from './persons.js';

/**
 * Retention (保管期間) and the disposal schedule, as pure functions over ISO
 * calendar dates (YYYY-MM-DD, Japan's calendar: callers pass japanDate(now)).
 *
 * A number may be disposed of once the 事務 it served has ended and the
 * statutory keeping period of every document that carries it has passed
 * (docs/retention.md). The 事務 ends with an end event: 退職 for
 * an employee, 取引終了 for a payee, 異動 (or the supporter's 退職) for a
 * dependant. Each rule counts its period from a start tied to that event; a
 * person's retention end is the latest end among the rules for their kind.
 */

/** What starts a rule's period, relative to the end event. */
export type RetentionStart = 'event_date' | 'after_jan10_next_year' | 'after_jan31_next_year';

export const RETENTION_STARTS: readonly RetentionStart[] = ['event_date', 'after_jan10_next_year', 'after_jan31_next_year'];

export const RETENTION_START_LABEL: Record<RetentionStart, string> = {
  event_date: '終了日（退職日・取引終了日・異動日＝完結の日）の翌日から',
  after_jan10_next_year: '終了日の属する年の翌年1月10日の翌日から（扶養控除等申告書の起算）',
  after_jan31_next_year: '終了日の属する年の翌年1月31日の翌日から（支払調書の提出期限の翌日）',
};

export interface RetentionRule {
  code: string;
  /** A short name: 扶養控除等申告書. */
  name: string;
  /** The documents the rule covers, as shown to admins. */
  document: string;
  appliesTo: readonly PersonKind[];
  years: number;
  start: RetentionStart;
  /** Where the period comes from (law, guideline, or the company's own decision). */
  source: string;
}

export type EndCause = 'retired' | 'payee_ended' | 'dependant_ended' | 'supporter_retired' | 'final_payment' | 'supporter_final_payment';

export const END_CAUSE_LABEL: Record<EndCause, string> = {
  retired: '退職',
  payee_ended: '取引終了',
  dependant_ended: '扶養の異動',
  supporter_retired: '扶養者の退職',
  final_payment: '最終支払日',
  supporter_final_payment: '扶養者への最終支払日',
};

/** The facts about a person that retention depends on. */
export interface RetentionFacts {
  kind: PersonKind;
  status: PersonStatus;
  retiredOn: string | null;
  /** 異動: the date a dependant stopped being one. */
  dependantUntil: string | null;
  /** The supporting employee's 退職日, for a dependant. */
  supporterRetiredOn: string | null;
  /**
   * 最終支払日: the last payment after 退職 / 取引終了 (翌月払いの給与, 退職金, a final
   * invoice). The 源泉徴収票・支払調書 of the year it falls in still carry the
   * number, so the clock counts from the later of the two dates.
   */
  lastPaidOn?: string | null;
  /** The supporting employee's 最終支払日, for a dependant. */
  supporterLastPaidOn?: string | null;
}

export interface EndEvent {
  date: string;
  cause: EndCause;
}

export interface RetentionResult {
  event: EndEvent;
  /** The last day the number must be kept; disposal is allowed from the next day. */
  end: string;
  /** The rules whose end is `end` (the ones that keep the number longest). */
  governing: readonly RetentionRule[];
}

/**
 * The event that ends the 事務 for this person, or null while it goes on
 * (employed, trading, still supported): then the clock has not started.
 * A dependant's end is the earlier of their own 異動 and the supporter's 退職.
 */
export function endEventOf(f: RetentionFacts): EndEvent | null {
  if (f.kind === 'dependant') {
    const own = f.dependantUntil ? { date: f.dependantUntil, cause: 'dependant_ended' as const } : null;
    const supporter = f.supporterRetiredOn
      ? f.supporterLastPaidOn && f.supporterLastPaidOn > f.supporterRetiredOn
        ? { date: f.supporterLastPaidOn, cause: 'supporter_final_payment' as const }
        : { date: f.supporterRetiredOn, cause: 'supporter_retired' as const }
      : null;
    if (own && supporter) return supporter.date < own.date ? supporter : own;
    return own ?? supporter;
  }
  if (f.status !== 'retired' || !f.retiredOn) return null;
  if (f.lastPaidOn && f.lastPaidOn > f.retiredOn) return { date: f.lastPaidOn, cause: 'final_payment' };
  return { date: f.retiredOn, cause: f.kind === 'payee' ? 'payee_ended' : 'retired' };
}

/**
 * True for an employee or payee who left in December with no 最終支払日 on
 * record: a salary paid the next month, a 退職金 or a final invoice would fall
 * in the next year and keep the number a year longer, so the end counted from
 * the December date may be a year early. The appliance warns until it is set.
 */
export function finalPaymentMissing(f: Pick<RetentionFacts, 'kind' | 'status' | 'retiredOn' | 'lastPaidOn'>): boolean {
  return f.kind !== 'dependant' && f.status === 'retired' && !!f.retiredOn && f.retiredOn.slice(5, 7) === '12' && !f.lastPaidOn;
}

/** The last day of a rule's period for an end event on `eventDate`. */
export function ruleEnd(rule: Pick<RetentionRule, 'years' | 'start'>, eventDate: string): string {
  const year = Number(eventDate.slice(0, 4));
  const first =
    rule.start === 'event_date' ? addDays(eventDate, 1) : rule.start === 'after_jan10_next_year' ? isoOf(year + 1, 1, 11) : isoOf(year + 1, 2, 1);
  return periodEnd(first, rule.years);
}

/**
 * A period of `years` years whose first day is `first` (民法140条〜143条): it
 * ends the day before the day corresponding to `first` in the last year, or,
 * when that month has no such day (29 February), on the last day of the month.
 */
export function periodEnd(first: string, years: number): string {
  const [y, m, d] = parts(first);
  const target = y + years;
  if (d > daysInMonth(target, m)) return isoOf(target, m, daysInMonth(target, m));
  return addDays(isoOf(target, m, d), -1);
}

/** The retention end of a person under the rules for their kind, or null while the clock has not started. */
export function retentionEnd(f: RetentionFacts, rules: readonly RetentionRule[]): RetentionResult | null {
  const event = endEventOf(f);
  if (!event) return null;
  const mine = rules.filter((r) => r.appliesTo.includes(f.kind));
  if (mine.length === 0) return { event, end: event.date, governing: [] };
  const ends = mine.map((r) => ({ rule: r, end: ruleEnd(r, event.date) }));
  const end = ends.reduce((max, x) => (x.end > max ? x.end : max), ends[0]!.end);
  return { event, end, governing: ends.filter((x) => x.end === end).map((x) => x.rule) };
}

/**
 * The retention end of a person who holds several roles over one number (an
 * employee who is also a payee, or also a dependant of another employee):
 * each role is judged on its own facts (its own 退職日・取引終了日・異動日 and
 * 最終支払日, whichever later) under the rules for that role, and the number is
 * kept until the latest of them ends. While any role goes on, the clock has
 * not started for the person (null): the number still serves that 事務
 * (番号法20条 allows keeping it only while a 事務 needs it; guideline 事業者編,
 * 保管制限と廃棄: a file serving several 事務 is deleted once all of them have
 * ended and every document carrying the number is past its keeping period).
 * `roles` holds the primary role first; an empty list is no role (null).
 */
export function personRetentionEnd(roles: readonly RetentionFacts[], rules: readonly RetentionRule[]): (RetentionResult & { role: PersonKind }) | null {
  let latest: (RetentionResult & { role: PersonKind }) | null = null;
  for (const f of roles) {
    const r = retentionEnd(f, rules);
    if (!r) return null;
    if (!latest || r.end > latest.end) latest = { ...r, role: f.kind };
  }
  return latest;
}

/** True once the retention end has passed in Japan's calendar (today is after it). */
export function isDue(end: string, today: string): boolean {
  return end < today;
}

/**
 * The disposal batch a number whose retention ended on `end` belongs to: the
 * last day of `batchMonth` (default 3, 年度末) on or after the first day disposal
 * is allowed. The guideline allows batching disposal at such a period end
 * ("保存期間が経過した日の属する事業年度の末日までに廃棄", docs/retention.md).
 */
export function disposalBatch(end: string, batchMonth: number): { date: string; label: string } {
  if (!Number.isInteger(batchMonth) || batchMonth < 1 || batchMonth > 12) throw new RangeError('batch month must be 1-12');
  const allowed = addDays(end, 1);
  const year = Number(allowed.slice(0, 4));
  let date = isoOf(year, batchMonth, daysInMonth(year, batchMonth));
  if (date < allowed) date = isoOf(year + 1, batchMonth, daysInMonth(year + 1, batchMonth));
  return { date, label: batchLabel(date) };
}

export function batchLabel(date: string): string {
  const [y, m] = parts(date);
  return `${y}年${m}月末`;
}

/** Adds days to an ISO date (negative to go back). */
export function addDays(iso: string, days: number): string {
  const [y, m, d] = parts(iso);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function parts(iso: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(iso);
  if (!m) throw new RangeError('expected an ISO date');
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isoOf(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
