import iconv from 'iconv-lite';
import { eraOf } from '../src/domain/dates.js';
import type { FilingKind } from '../src/domain/filing.js';
import { ACQUISITION_LAYOUT, LOSS_LAYOUT, type EgovLayout } from '../src/domain/filing-egov.js';
import { FEES_LAYOUT, REAL_ESTATE_LAYOUT, RETIREMENT_SLIP_LAYOUT, SALARY_REPORT_LAYOUT, SALARY_SLIP_LAYOUT } from '../src/domain/filing-nta-layouts.js';
import type { NtaLayout } from '../src/domain/filing-nta-record.js';

/**
 * Filing files as the payroll and 労務 packages write them, built from the layouts the codecs read:
 * `sampleFile(kind, rows)` returns the bytes (Shift_JIS unless asked otherwise) with every number
 * field empty, or holding the placeholder or digits a row asks for. Kana is written as given: the
 * official formats take half-width katakana (ﾔﾏﾀﾞ ﾀﾛｳ).
 */
export interface SampleDependant {
  name: string;
  kana: string;
  /** Which slot: the 控除対象配偶者, a 控除対象扶養親族 or a 16歳未満の扶養親族 (in order of appearance). */
  slot: 'spouse' | 'dependant' | 'under16';
  nonResident?: boolean;
}

export interface SampleRow {
  name: string;
  kana: string;
  /** ISO date of birth. */
  birth: string;
  /** 受給者番号 (社員番号) where the format has one. */
  code?: string;
  dependants?: SampleDependant[];
  /** What the subject's number field holds: empty (default), a placeholder character repeated to the width, or digits. */
  placeholder?: '*' | '0' | ' ';
  /** Width of the placeholder for payees (13 for a 法人); 12 otherwise. */
  width?: 12 | 13;
  number?: string;
}

export interface SampleOptions {
  /**
   * 年分 as a Western year (default 2024, 令和6年分: the last 年分 whose 源泉徴収票 record the codecs
   * hold; 令和7年分 and later are refused until the revised record is confirmed).
   */
  year?: number;
  /** Empty items appended to each 法定調書 record, as a longer (revised) record of the kind would have. */
  extraItems?: number;
  encoding?: 'shift_jis' | 'utf8' | 'utf8-bom';
  /** Quote every field, with a quote and a comma inside the payer's address. */
  quoted?: boolean;
  lineEnd?: '\r\n' | '\n';
}

const NTA_LAYOUTS: Partial<Record<FilingKind, NtaLayout>> = {
  nta_salary_slip: SALARY_SLIP_LAYOUT,
  eltax_salary_report: SALARY_REPORT_LAYOUT,
  nta_retirement_slip: RETIREMENT_SLIP_LAYOUT,
  nta_fees: FEES_LAYOUT,
  nta_real_estate: REAL_ESTATE_LAYOUT,
};

const EGOV_LAYOUTS: Partial<Record<FilingKind, EgovLayout>> = { egov_acquisition: ACQUISITION_LAYOUT, egov_loss: LOSS_LAYOUT };

const NTA_ERA: Record<string, string> = { 昭和: '1', 大正: '2', 明治: '3', 平成: '4', 令和: '5' };
const EGOV_ERA: Record<string, string> = { 明治: '1', 大正: '3', 昭和: '5', 平成: '7', 令和: '9' };

/** [era name, year of era, month, day] as two-digit strings. */
function wareki(iso: string): [string, string, string, string] {
  const era = eraOf(iso);
  if (!era) throw new Error(`no era for ${iso}`);
  const [y, m, d] = iso.split('-');
  return [era.name, String(Number(y) - era.firstYear + 1).padStart(2, '0'), m!, d!];
}

function numberField(row: SampleRow): string {
  if (row.number !== undefined) return row.number;
  return row.placeholder ? row.placeholder.repeat(row.width ?? 12) : '';
}

function ntaRecord(layout: NtaLayout, row: SampleRow, year: number, quoted: boolean, extraItems = 0): string[] {
  const f: string[] = new Array<string>(layout.fieldCount + extraItems).fill('');
  f[0] = layout.code;
  f[1] = '0123456789';
  f[3] = quoted ? '東京都千代田区霞が関３－１－１ "本館",３階' : '東京都千代田区霞が関３－１－１';
  f[4] = '株式会社サンプル商事';
  f[5] = '03-1234-5678';
  f[9] = '0';
  f[10] = String(year - 2018).padStart(2, '0');
  f[11] = '東京都新宿区西新宿２－８－１';
  f[12] = '0';
  f[layout.name.index] = row.name;
  if (layout.kana !== undefined) f[layout.kana] = row.kana;
  if (layout.employeeCode !== undefined && row.code !== undefined) f[layout.employeeCode] = row.code;
  if (layout.birth) {
    const [era, y, m, d] = wareki(row.birth);
    f[layout.birth.era] = NTA_ERA[era]!;
    f[layout.birth.year] = y;
    f[layout.birth.month] = m;
    f[layout.birth.day] = d;
  }
  for (const c of layout.checks ?? []) {
    if (c.name === '作成区分') f[c.index] = '2';
    if (c.name === '提出先市町村コード') f[c.index] = '131041';
    if (c.name === '支払金額') f[c.index] = '550000';
  }
  f[layout.number.index] = numberField(row);
  const slots = layout.dependants ?? [];
  const free = {
    spouse: slots.filter((s) => s.label.startsWith('控除対象配偶者')),
    dependant: slots.filter((s) => s.label.startsWith('控除対象扶養')),
    under16: slots.filter((s) => s.label.startsWith('16歳未満')),
  };
  for (const dep of row.dependants ?? []) {
    const s = free[dep.slot].shift();
    if (!s) throw new Error(`no free ${dep.slot} slot in ${layout.code}`);
    f[s.kana] = dep.kana;
    f[s.name] = dep.name;
    f[s.class] = dep.nonResident ? '01' : '00';
  }
  return f;
}

function egovRecord(layout: EgovLayout, row: SampleRow, serial: number): string[] {
  const f: string[] = new Array<string>(27).fill('');
  f[0] = layout.formCode;
  f[1] = '13';
  f[2] = '01';
  f[3] = 'ｱｲｳ';
  f[4] = '12345';
  f[5] = String(serial).padStart(6, '0');
  f[layout.kana] = row.kana;
  f[layout.name] = row.name;
  const [era, y, m, d] = wareki(row.birth);
  f[layout.birthEra] = EGOV_ERA[era]!;
  f[layout.birth] = `${y}${m}${d}`;
  f[layout.number] = numberField(row);
  f[layout.eventEra] = '9';
  f[layout.event] = '080401';
  return f;
}

const csvLine = (fields: string[], quoted: boolean): string => fields.map((v) => (quoted ? `"${v.replaceAll('"', '""')}"` : v)).join(',');

/** The text of a sample file, before encoding. */
export function sampleText(kind: FilingKind, rows: SampleRow[], opts: SampleOptions = {}): string {
  const eol = opts.lineEnd ?? '\r\n';
  const quoted = opts.quoted ?? false;
  const nta = NTA_LAYOUTS[kind];
  if (nta) return rows.map((r) => csvLine(ntaRecord(nta, r, opts.year ?? 2024, quoted, opts.extraItems), quoted) + eol).join('');
  const egov = EGOV_LAYOUTS[kind];
  if (egov) {
    const frame = ['13,01,ｱｲｳ,001,20260401,22223', '[kanri]', ',001', '13,01,ｱｲｳ,12345,100,0013,東京都千代田区霞が関３－１－１,株式会社サンプル商事,山田 一郎,03,1234,5678', '[data]'];
    return [...frame, ...rows.map((r, i) => csvLine(egovRecord(egov, r, i + 1), quoted))].map((l) => l + eol).join('');
  }
  throw new Error(`no sample for ${kind}`);
}

/** A sample filing file's bytes. */
export function sampleFile(kind: FilingKind, rows: SampleRow[], opts: SampleOptions = {}): Buffer {
  const text = sampleText(kind, rows, opts);
  if (opts.encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (opts.encoding === 'utf8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  return iconv.encode(text, 'cp932');
}

/** A few employees, one with a spouse and two dependants, one without a 受給者番号. */
export const SAMPLE_EMPLOYEES: SampleRow[] = [
  {
    name: '佐藤　太郎',
    kana: 'ｻﾄｳ ﾀﾛｳ',
    birth: '1980-04-01',
    code: 'E001',
    dependants: [
      { name: '佐藤　花子', kana: 'ｻﾄｳ ﾊﾅｺ', slot: 'spouse' },
      { name: '佐藤　一郎', kana: 'ｻﾄｳ ｲﾁﾛｳ', slot: 'dependant' },
      { name: '佐藤　さくら', kana: 'ｻﾄｳ ｻｸﾗ', slot: 'under16' },
    ],
  },
  { name: '鈴木　美咲', kana: 'ｽｽﾞｷ ﾐｻｷ', birth: '1989-01-08', code: 'E002', placeholder: '*' },
  { name: '高橋　健太', kana: 'ﾀｶﾊｼ ｹﾝﾀ', birth: '2001-12-31' },
];

/** Payees: an individual, a 株式会社 with an empty field, and a 法人 named without a designator but given a 13-wide placeholder. */
export const SAMPLE_PAYEES: SampleRow[] = [
  { name: '田中　陽菜', kana: 'ﾀﾅｶ ﾋﾅ', birth: '1975-06-15' },
  { name: '株式会社サンプル不動産', kana: '', birth: '1975-06-15' },
  { name: 'みどり会計事務所', kana: '', birth: '1975-06-15', placeholder: '*', width: 13 },
];
