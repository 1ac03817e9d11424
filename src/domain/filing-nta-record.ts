/**
 * The 法定調書 record of the 国税庁 CSV (光ディスク等・e-Tax 法定調書 CSV) and the
 * eLTAX 給与支払報告書 CSV built on it: one record per line, no header line,
 * every record of a file of the same kind.
 *
 * Items 1–11 are common to every 法定調書 record and are as published in
 * 国税庁「光ディスク等により提出できる法定調書・レコードの内容及び記録要領」
 * (項番1 法定資料の種類, 2 整理番号1, 3 本支店等区分番号, 4–6 提出義務者の住所・
 * 氏名又は名称・電話番号, 7 整理番号2, 8–9 提出者, 10 訂正表示, 11 年分 as a
 * two-digit 和暦 year). Where each kind puts the rest is the kind's layout
 * (filing-nta-layouts.ts) of the edition the line's 年分 falls in
 * (filing-nta-versions.ts); a record of a 年分 without a confirmed edition, or
 * that does not have exactly the layout's number of items, or whose checked
 * items do not hold what the layout says, is refused, never read on a guess.
 */
import { AppError } from './errors.js';
import { isBlankRecord, tokenizeCsv } from './filing-csv.js';
import { decodeFiling, FieldReader, KANA, looksCorporate, normaliseKana, numberSpan, warekiDate, type FilingEncoding } from './filing-fields.js';
import type { FilingDependant, FilingKind, FilingRow, ParsedFiling } from './filing.js';
import { isUnconfirmed, readableYears, reiwaYear, versionFor, type NtaKind } from './filing-nta-versions.js';

/** One 控除対象配偶者 or 扶養親族 slot: its フリガナ, 氏名, 区分 and 個人番号 items. */
export interface DependantSlot {
  readonly label: string;
  readonly kana: number;
  readonly name: number;
  readonly class: number;
  readonly number: number;
}

/** Where a kind's items are, as 0-based field indexes (項番 − 1). */
export interface NtaLayout {
  /** 法定資料の種類 (項番1). */
  readonly code: string;
  readonly label: string;
  readonly fieldCount: number;
  /** 訂正表示 / 提出区分 (項番10) and the values it may take. */
  readonly correction: { readonly name: string; readonly values: readonly string[] };
  readonly abroad?: number;
  readonly name: { readonly index: number; readonly label: string };
  readonly kana?: number;
  readonly employeeCode?: number;
  readonly birth?: { readonly era: number; readonly year: number; readonly month: number; readonly day: number };
  /** The subject's number item; `payee` items take a 個人番号 or a 法人番号. */
  readonly number: { readonly index: number; readonly label: string; readonly payee: boolean };
  readonly dependants?: readonly DependantSlot[];
  /** Further items whose content is checked, as anchors that the layout is the file's. */
  readonly checks?: readonly { readonly index: number; readonly name: string; readonly pattern: RegExp; readonly expected: string }[];
  /** Free-text items for the 5th and later dependants: the codec cannot fill them and refuses a row that uses them. */
  readonly overflow?: readonly { readonly index: number; readonly label: string }[];
}

const CODE_INDEX = 0;
const CORRECTION_INDEX = 9;
const YEAR_INDEX = 10;

/** The 法定資料の種類 a file of another kind may carry, named for the refusal. */
const KNOWN_CODES: Record<string, string> = {
  '375': '給与所得の源泉徴収票',
  '315': '給与支払報告書（eLTAX）',
  '316': '退職所得の源泉徴収票',
  '309': '報酬、料金、契約金及び賞金の支払調書',
  '313': '不動産の使用料等の支払調書',
  '314': '不動産等の売買又は貸付けのあっせん手数料の支払調書',
  '376': '不動産等の譲受けの対価の支払調書',
  '377': '公的年金等の源泉徴収票',
};

/** The 元号 codes of the 法定調書 records (明治 3, 大正 2, 昭和 1, 平成 4, 令和 5). */
const ERA_CODES: Record<string, string> = { '1': '昭和', '2': '大正', '3': '明治', '4': '平成', '5': '令和' };

/** The dependant 区分: blank or 00 for a resident, 01 for a non-resident (who is given no span). */
const DEPENDANT_CLASSES = ['', '00', '01'];
const NON_RESIDENT = '01';

function refuseWrongKind(layout: NtaKind, line: number, code: string): never {
  const other = KNOWN_CODES[code];
  if (other) {
    throw new AppError(
      'invalid',
      `${line}行目：この行は「${other}」（法定資料の種類${code}）の記録です。「${layout.label}」のファイルには${layout.code}の行だけが入ります。ファイルの種類の選択を確認してください。`,
    );
  }
  const header = /^\d*$/u.test(code) ? '' : '見出し行は入れられません（仕様では1行目から記録です）。';
  throw new AppError(
    'invalid',
    `${line}行目の1項目目「法定資料の種類」：「${layout.code}」が必要です。${header}「${layout.label}」のCSVファイルではないようです。ファイルの種類の選択を確認してください。`,
  );
}

function readBirth(r: FieldReader, b: NonNullable<NtaLayout['birth']>): string | undefined {
  const parts = [r.trimmed(b.era), r.trimmed(b.year), r.trimmed(b.month), r.trimmed(b.day)];
  if (parts.every((p) => p === '')) return undefined;
  const era = ERA_CODES[parts[0]!];
  if (!era) r.refuse(b.era, '生年月日（元号）', '元号の区分（明治3・大正2・昭和1・平成4・令和5）が必要です。');
  const date = warekiDate(era, parts[1]!, parts[2]!, parts[3]!);
  if (!date) r.refuse(b.year, '生年月日（年・月・日）', '元号とあわせて実在する日付（2桁の年・月・日）が必要です。');
  return date;
}

function readDependant(r: FieldReader, slot: DependantSlot): FilingDependant | undefined {
  const name = r.trimmed(slot.name);
  const kana = r.trimmed(slot.kana);
  const cls = r.trimmed(slot.class);
  if (!DEPENDANT_CLASSES.includes(cls)) r.refuse(slot.class, `${slot.label}の区分`, '空欄、00（居住者）または01（非居住者）が必要です。');
  if (!KANA.test(kana)) r.refuse(slot.kana, `${slot.label}のフリガナ`, 'カタカナと空白だけが入ります。');
  const span = numberSpan(r, slot.number, `${slot.label}の個人番号`, 12);
  if (name === '' && kana === '') return undefined;
  if (cls === NON_RESIDENT) return undefined;
  return { name: name || normaliseKana(kana), ...(kana ? { kana: normaliseKana(kana) } : {}), span };
}

function readRow(r: FieldReader, layout: NtaLayout): FilingRow {
  for (const c of layout.checks ?? []) r.expect(c.index, c.name, c.pattern, c.expected);
  if (layout.abroad !== undefined) r.expect(layout.abroad, '国外住所表示', /^[01]?$/u, '空欄、0（国内）または1（国外）が必要です。');
  const name = r.trimmed(layout.name.index);
  if (name === '') r.refuse(layout.name.index, layout.name.label, '氏名又は名称が必要です。');
  let kana: string | undefined;
  if (layout.kana !== undefined) {
    const k = r.trimmed(layout.kana);
    if (!KANA.test(k)) r.refuse(layout.kana, 'フリガナ', 'カタカナと空白だけが入ります。');
    kana = k ? normaliseKana(k) : undefined;
  }
  const employeeCode = layout.employeeCode !== undefined ? r.trimmed(layout.employeeCode) || undefined : undefined;
  const birthDate = layout.birth ? readBirth(r, layout.birth) : undefined;
  const n = layout.number;
  let corporate = false;
  let digits: 12 | 13 = 12;
  if (n.payee) {
    const t = r.text(n.index);
    corporate = t.length === 13 || (t.length === 0 && looksCorporate(name));
    digits = corporate ? 13 : 12;
  }
  const span = numberSpan(r, n.index, n.label, digits);
  const dependants = (layout.dependants ?? []).flatMap((slot) => readDependant(r, slot) ?? []);
  for (const o of layout.overflow ?? []) {
    if (r.trimmed(o.index) !== '') {
      r.refuse(o.index, o.label, '5人目以降の扶養親族の番号はこの欄（摘要）に手で書く方式のため、自動では記入できません。この行は空欄で出力し、該当者の番号は別途記入してください。');
    }
  }
  return {
    line: r.line,
    name,
    ...(kana ? { kana } : {}),
    ...(birthDate ? { birthDate } : {}),
    ...(employeeCode ? { employeeCode } : {}),
    corporate,
    spans: [span],
    dependants,
  };
}

/** Refuses a line whose 年分 has no edition the appliance can read (another era's layout, or one not confirmed). */
function refuseEdition(r: FieldReader, kind: NtaKind, year: number): never {
  const version = versionFor(kind, year);
  if (version && isUnconfirmed(version.layout)) r.refuse(YEAR_INDEX, '年分', `${reiwaYear(year)}分の「${kind.label}」：${version.layout.unconfirmed}`);
  return r.refuse(YEAR_INDEX, '年分', `${reiwaYear(year)}分の「${kind.label}」の記録様式には対応していません（読み込めるのは${readableYears(kind)}です）。年分を確かめてください。`);
}

/**
 * Reads a file of one 法定調書 kind; refuses, naming the line and item,
 * whatever does not fit the item table of the edition its 年分 falls in
 * (filing-nta-versions.ts).
 */
export function parseNtaFile(bytes: Buffer, kind: FilingKind, nta: NtaKind, encodings: readonly FilingEncoding[]): ParsedFiling {
  const text = decodeFiling(bytes, encodings, nta.label);
  const records = tokenizeCsv(bytes, text.from);
  if (records.length === 0) throw new AppError('invalid', `記録が1行もありません。「${nta.label}」のCSVファイルを選んでください。`);
  let year: number | undefined;
  const rows = records.map((record) => {
    if (isBlankRecord(record)) throw new AppError('invalid', `${record.line}行目：空の行があります。${nta.label}のファイルには空行を入れられません。`);
    const r = new FieldReader(bytes, record, text.decoder);
    const code = r.trimmed(CODE_INDEX);
    if (code !== nta.code) refuseWrongKind(nta, record.line, code);
    if (record.count <= YEAR_INDEX) {
      throw new AppError('invalid', `${record.line}行目：項目が${record.count}個しかありません。「${nta.label}」の記録ではないようです。給与・労務ソフトから出力し直してください。`);
    }
    const y = Number(r.expect(YEAR_INDEX, '年分', /^(0[1-9]|[1-9]\d)$/u, '支払の年を和暦2桁（例：令和7年分なら07）で記録する必要があります。'));
    // 年分 is a 令和 year: files for 平成 years were filed before 令和 began.
    const western = 2018 + y;
    if (year !== undefined && western !== year) r.refuse(YEAR_INDEX, '年分', '1つのファイルの中ではすべての行が同じ年分である必要があります。');
    year = western;
    const layout = versionFor(nta, western)?.layout;
    if (!layout || isUnconfirmed(layout)) return refuseEdition(r, nta, western);
    if (record.count !== layout.fieldCount) {
      throw new AppError(
        'invalid',
        `${record.line}行目：項目が${record.count}個あります。「${layout.label}」の記録は${layout.fieldCount}項目です。仕様の版が違うか、別の様式のファイルです。番号欄の位置を確かめられないため、読み込みません。`,
      );
    }
    if (!layout.correction.values.includes(r.text(CORRECTION_INDEX))) {
      r.refuse(CORRECTION_INDEX, layout.correction.name, `${layout.correction.values.join('・')}のいずれかが必要です。`);
    }
    return readRow(r, layout);
  });
  return { kind, ...(year !== undefined ? { year } : {}), encoding: text.encoding, rows };
}
