import { AppError } from '../domain/errors.js';
import { parseMonth } from '../web/entry-log.js';
import { japanDate, japanDayStart } from '../domain/dates.js';

/** A period in Japan time as the UTC instants that bound it, with its printed label. */
export interface Period {
  /** YYYY-MM for a month; YYYY-MM-DD..YYYY-MM-DD for a range of days. */
  key: string;
  from: string;
  to: string;
  label: string;
}

const day = (iso: string) => japanDate(new Date(iso)).replaceAll('-', '/');
const lastDay = (to: string) => day(new Date(Date.parse(to) - 1).toISOString());

/** A calendar month (YYYY-MM); a bad one is refused in Japanese. */
export function monthPeriod(input: unknown): Period {
  const m = parseMonth(input);
  const [y, mo] = m.month.split('-').map(Number) as [number, number];
  return { key: m.month, from: m.from, to: m.to, label: `${y}年${mo}月（${day(m.from)}〜${lastDay(m.to)}）` };
}

export const BAD_RANGE = '期間は開始日と終了日を YYYY-MM-DD の形式（例: 2026-04-01）で、開始日が終了日以前になるよう、366日以内で指定してください。';

/** Days from..to inclusive (YYYY-MM-DD, Japan time), at most 366 days. */
export function dayRangePeriod(fromInput: unknown, toInput: unknown): Period {
  const ok = (s: unknown): s is string => typeof s === 'string' && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/u.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
  if (!ok(fromInput) || !ok(toInput) || fromInput < '2000-01-01') throw new AppError('invalid', BAD_RANGE);
  const from = Date.parse(japanDayStart(fromInput));
  const to = Date.parse(japanDayStart(toInput)) + 86_400_000;
  if (to <= from || to - from > 366 * 86_400_000) throw new AppError('invalid', BAD_RANGE);
  const f = new Date(from).toISOString();
  const t = new Date(to).toISOString();
  return { key: `${fromInput}..${toInput}`, from: f, to: t, label: `${day(f)}〜${lastDay(t)}` };
}
