/** Calendar dates as ISO strings (YYYY-MM-DD), with Japanese era input accepted. */

const ERAS: Record<string, number> = { 明治: 1868, 大正: 1912, 昭和: 1926, 平成: 1989, 令和: 2019, M: 1868, T: 1912, S: 1926, H: 1989, R: 2019 };

function iso(y: number, m: number, d: number): string | undefined {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * Parses 1990-04-01, 1990/4/1, 1990年4月1日, 平成2年4月1日, 平成元年…, H2.4.1.
 * Returns the ISO date, or undefined when the input is not a real calendar date.
 */
export function parseDate(input: string): string | undefined {
  const s = input.normalize('NFKC').trim();
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/u.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})(\d{2})(\d{2})$/u.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?$/iu.exec(s);
  if (m) {
    const start = ERAS[m[1]!.toUpperCase()] ?? ERAS[m[1]!];
    if (start === undefined) return undefined;
    const n = m[2] === '元' ? 1 : Number(m[2]);
    return iso(start + n - 1, Number(m[3]), Number(m[4]));
  }
  return undefined;
}

/** Today's date in Japan (JST, UTC+9) as an ISO string. */
export function japanDate(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}
