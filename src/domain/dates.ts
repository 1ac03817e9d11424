/** Calendar dates as ISO strings (YYYY-MM-DD), with Japanese era input accepted. */

export interface Era {
  name: string;
  /** The letter used in short forms (H2.4.1). */
  letter: string;
  /** The first day of the era's year 1 in the Gregorian calendar (元年 counts from this year). */
  firstYear: number;
  /** First and last day (inclusive) a date written in this era may name. */
  from: string;
  to: string | null;
}

/**
 * The eras a date of birth or an end date can be written in (元号法; 昭和→平成 on
 * 1989-01-08, 平成→令和 on 2019-05-01). 明治→大正 and 大正→昭和 changed during
 * the day, so 1912-07-30 and 1926-12-25 belong to both eras. 明治 before its
 * 6th year used the old lunisolar calendar, so a 明治1-5年 date cannot be
 * turned into a Gregorian one by adding years: it is refused (stricter reading).
 */
export const ERAS: readonly Era[] = [
  { name: '令和', letter: 'R', firstYear: 2019, from: '2019-05-01', to: null },
  { name: '平成', letter: 'H', firstYear: 1989, from: '1989-01-08', to: '2019-04-30' },
  { name: '昭和', letter: 'S', firstYear: 1926, from: '1926-12-25', to: '1989-01-07' },
  { name: '大正', letter: 'T', firstYear: 1912, from: '1912-07-30', to: '1926-12-25' },
  { name: '明治', letter: 'M', firstYear: 1868, from: '1873-01-01', to: '1912-07-30' },
];

/** The era a Gregorian date is written in (the newer one on a day both share). */
export function eraOf(iso: string): Era | undefined {
  return ERAS.find((e) => iso >= e.from && (e.to === null || iso <= e.to));
}

function iso(y: number, m: number, d: number): string | undefined {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const SEP = String.raw`\s*[-/.年]\s*`;
const SEP_MONTH = String.raw`\s*[-/.月]\s*`;
const GREGORIAN = new RegExp(String.raw`^(\d{4})${SEP}(\d{1,2})${SEP_MONTH}(\d{1,2})\s*日?$`, 'u');
const WAREKI = new RegExp(String.raw`^(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})${SEP}(\d{1,2})${SEP_MONTH}(\d{1,2})\s*日?$`, 'iu');

/**
 * Parses 1990-04-01, 1990/4/1, 1990年4月1日, 1990年 4月 1日, 平成2年4月1日,
 * 平成元年…, H2.4.1. Returns the ISO date, or undefined when the input is not
 * a real calendar date — including an era date outside its era (昭和64年1月8日,
 * 平成元年1月7日, 令和元年4月30日 do not exist).
 */
export function parseDate(input: string): string | undefined {
  const s = input.normalize('NFKC').trim();
  let m = GREGORIAN.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})(\d{2})(\d{2})$/u.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = WAREKI.exec(s);
  if (m) {
    const key = m[1]!.toUpperCase();
    const era = ERAS.find((e) => e.name === m![1] || e.letter === key);
    if (!era) return undefined;
    const n = m[2] === '元' ? 1 : Number(m[2]);
    if (n < 1) return undefined;
    const date = iso(era.firstYear + n - 1, Number(m[3]), Number(m[4]));
    if (!date || date < era.from || (era.to !== null && date > era.to)) return undefined;
    return date;
  }
  return undefined;
}

/**
 * Japan Standard Time is UTC+9 all year (標準時: no daylight saving since 1951). Every conversion
 * between an instant and a date or time in Japan adds or subtracts this one offset.
 */
export const JAPAN_OFFSET_MS = 9 * 3600_000;

/** Today's date in Japan (JST, UTC+9) as an ISO string. */
export function japanDate(at: Date): string {
  return japanClock(at).slice(0, 10);
}

/** What a clock in Japan reads at an instant (a Date or an ISO string): "YYYY-MM-DDTHH:MM:SS.mmm", no zone. */
export function japanClock(at: Date | string): string {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  return new Date(ms + JAPAN_OFFSET_MS).toISOString().slice(0, 23);
}

/** The instant (UTC ISO string) a Japan calendar day YYYY-MM-DD begins: 15:00 UTC the day before. */
export function japanDayStart(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - JAPAN_OFFSET_MS).toISOString();
}

/** The instant (UTC ISO string) a Japan calendar month begins; month 13 is January of the next year. */
export function japanMonthStart(year: number, month: number): string {
  return new Date(Date.UTC(year, month - 1, 1) - JAPAN_OFFSET_MS).toISOString();
}
