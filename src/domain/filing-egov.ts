/**
 * The 日本年金機構 codecs: 健康保険・厚生年金保険 被保険者資格取得届 and 資格喪失届 as
 * the CSV 届書 file (SHFD0006.CSV) that the 届書作成プログラム, 労務 software and
 * e-Gov's 電子申請 take: Shift_JIS, CRLF, in this order —
 *
 *   FD管理レコード          …, 作成年月日 (YYYYMMDD), 22223
 *   [kanri]
 *   事業所数 record         (blank), 001
 *   事業所情報 record(s)
 *   [data]
 *   one data record per insured person, its first item the 様式コード
 *
 * The frame and the 様式コード (2200700 資格取得届, 2201700 資格喪失届) agree in
 * two independent public implementations. The positions inside a data record
 * (below) come from one of them and from the printed form's order; they are
 * NOT confirmed against the 届書作成仕様書 (docs/filing-formats.md). A record
 * too short for them, or whose 生年月日, フリガナ or 基礎年金番号 items do not
 * hold what is expected there, is refused by line and item.
 */
import { AppError } from './errors.js';
import { isBlankRecord, tokenizeCsv, type CsvRecord, type TextDecoding } from './filing-csv.js';
import { decodeFiling, FieldReader, KANA, normaliseKana, numberSpan, warekiDate } from './filing-fields.js';
import type { FilingCodec, FilingKind, FilingRow, ParsedFiling } from './filing.js';

/** A data record's items as 0-based indexes. */
export interface EgovLayout {
  readonly formCode: string;
  readonly label: string;
  readonly kana: number;
  readonly name: number;
  readonly birthEra: number;
  readonly birth: number;
  readonly number: number;
  readonly pension4: number;
  readonly pension6: number;
  /** 取得年月日 / 喪失年月日: era code and YYMMDD. */
  readonly eventEra: number;
  readonly event: number;
  readonly eventName: string;
}

/** 0 様式コード, 1 都道府県コード, 2 郡市区記号, 3 事業所記号, 4 事業所番号, 5 被保険者整理番号, 6 氏名（カナ）, 7 氏名（漢字）, 8–9 生年月日. */
const COMMON = { kana: 6, name: 7, birthEra: 8, birth: 9 } as const;

/**
 * 10 種別, 11 取得区分, 12 個人番号, 15–16 基礎年金番号, 17–18 資格取得年月日 (34 items;
 * 20–22 報酬月額, 28–30 郵便番号・住所カナ). The 自動チェック list for this 届 checks
 * 取得年月日 at 項番18 and 報酬月額の合計 at 項番23, which places the date two items
 * after the 基礎年金番号 pair; 13–14 are not read.
 */
export const ACQUISITION_LAYOUT: EgovLayout = {
  formCode: '2200700',
  label: '被保険者資格取得届',
  ...COMMON,
  number: 12,
  pension4: 15,
  pension6: 16,
  eventEra: 17,
  event: 18,
  eventName: '資格取得年月日',
};

/** 10 個人番号, 11–12 基礎年金番号, 13–14 資格喪失年月日. */
export const LOSS_LAYOUT: EgovLayout = {
  formCode: '2201700',
  label: '被保険者資格喪失届',
  ...COMMON,
  number: 10,
  pension4: 11,
  pension6: 12,
  eventEra: 13,
  event: 14,
  eventName: '資格喪失年月日',
};

const FD_DOC_CODE = '22223';
const KANRI = '[kanri]';
const DATA = '[data]';

/** 様式コード a file of another kind may carry, named for the refusal. */
const KNOWN_FORMS: Record<string, string> = {
  '2200700': '被保険者資格取得届',
  '2201700': '被保険者資格喪失届',
  '2202700': '被扶養者（異動）届',
  '2221700': '被保険者報酬月額変更届',
  '2225700': '被保険者報酬月額算定基礎届',
  '2265700': '被保険者賞与支払届',
  '22187041': '被保険者住所変更届',
};

/** The 元号 codes of the 日本年金機構 届書 (明治 1, 大正 3, 昭和 5, 平成 7, 令和 9). */
const ERA_CODES: Record<string, string> = { '1': '明治', '3': '大正', '5': '昭和', '7': '平成', '9': '令和' };

const frameError = (line: number, what: string): never => {
  throw new AppError('invalid', `${line}行目：${what}日本年金機構の届書CSV（SHFD0006.CSV）の形ではありません。届書作成プログラムや労務ソフトが出力したファイルをそのまま選んでください。`);
};

const only = (bytes: Buffer, r: CsvRecord, d: TextDecoding): string => (r.count === 1 ? new FieldReader(bytes, r, d).text(0) : '');

function eraDate(r: FieldReader, eraIndex: number, dateIndex: number, name: string): string {
  const era = ERA_CODES[r.trimmed(eraIndex)];
  if (!era) r.refuse(eraIndex, `${name}（元号）`, '元号の区分（明治1・大正3・昭和5・平成7・令和9）が必要です。');
  const ymd = r.expect(dateIndex, name, /^\d{6}$/u, '和暦の年月日6桁（YYMMDD）が必要です。');
  const date = warekiDate(era, ymd.slice(0, 2), ymd.slice(2, 4), ymd.slice(4, 6));
  if (!date) r.refuse(dateIndex, name, '元号とあわせて実在する日付が必要です。');
  return date;
}

function readData(r: FieldReader, layout: EgovLayout): FilingRow {
  const code = r.trimmed(0);
  if (code !== layout.formCode) {
    const other = KNOWN_FORMS[code];
    if (other)
      throw new AppError(
        'invalid',
        `${r.line}行目：この行は「${other}」（様式コード${code}）です。「${layout.label}」のファイルには${layout.formCode}の行だけが入ります。ファイルの種類の選択を確認してください。`,
      );
    r.refuse(0, '様式コード', `「${layout.formCode}」（${layout.label}）が必要です。`);
  }
  const needed = Math.max(layout.event, layout.number, layout.pension6) + 1;
  if (r.record.count < needed) {
    throw new AppError(
      'invalid',
      `${r.line}行目：項目が${r.record.count}個しかありません。「${layout.label}」の記録は少なくとも${needed}項目です。仕様の版が違うため、番号欄の位置を確かめられません。`,
    );
  }
  const kana = r.trimmed(layout.kana);
  if (kana === '' || !KANA.test(kana)) r.refuse(layout.kana, '被保険者氏名（カナ）', '半角カタカナの氏名が必要です。');
  const name = r.trimmed(layout.name);
  const birthDate = eraDate(r, layout.birthEra, layout.birth, '生年月日');
  r.expect(layout.pension4, '基礎年金番号（4桁）', /^(\d{4})?$/u, '空欄か4桁の数字が必要です。');
  r.expect(layout.pension6, '基礎年金番号（6桁）', /^(\d{6})?$/u, '空欄か6桁の数字が必要です。');
  eraDate(r, layout.eventEra, layout.event, layout.eventName);
  const span = numberSpan(r, layout.number, '個人番号', 12);
  return { line: r.line, name: name || normaliseKana(kana), kana: normaliseKana(kana), birthDate, corporate: false, spans: [span], dependants: [] };
}

/** Reads a SHFD0006.CSV holding only `layout`'s 届; refuses by line whatever does not fit. */
export function parseEgovFile(bytes: Buffer, kind: FilingKind, layout: EgovLayout): ParsedFiling {
  const text = decodeFiling(bytes, ['shift_jis'], `日本年金機構の届書CSV（${layout.label}）`);
  const records = tokenizeCsv(bytes, text.from);
  const d = text.decoder;
  const fd = records[0];
  if (!fd) throw new AppError('invalid', '記録が1行もありません。届書CSVファイル（SHFD0006.CSV）を選んでください。');
  const fdReader = new FieldReader(bytes, fd, d);
  const last = fd.count - 1;
  if (last < 1 || fdReader.trimmed(last) !== FD_DOC_CODE || !/^\d{8}$/u.test(fdReader.trimmed(last - 1))) {
    frameError(fd.line, 'FD管理レコードの最後の2項目が「作成年月日（8桁）,22223」ではありません。');
  }
  if (!records[1] || only(bytes, records[1], d) !== KANRI) frameError(records[1]?.line ?? 2, '「[kanri]」の行が必要です。');
  const dataAt = records.findIndex((r, i) => i > 1 && only(bytes, r, d) === DATA);
  if (dataAt < 0) frameError(records[records.length - 1]!.line, 'ファイルの終わりまでに「[data]」の行がありません。');
  if (dataAt < 3) frameError(records[dataAt]!.line, '「[kanri]」と「[data]」の間に事業所の記録がありません。');
  const rows = records.slice(dataAt + 1).map((record) => {
    if (isBlankRecord(record)) throw new AppError('invalid', `${record.line}行目：空の行があります。届書CSVには空行を入れられません。`);
    return readData(new FieldReader(bytes, record, d), layout);
  });
  if (rows.length === 0) throw new AppError('invalid', '「[data]」の後に届出の記録がありません。');
  return { kind, encoding: text.encoding, rows };
}

const egovSpec = (layout: EgovLayout) => ({
  title: `届書作成仕様書（CSV形式届書）健康保険・厚生年金保険 ${layout.label}（様式コード${layout.formCode}）`,
  edition: 'CSV形式届書作成仕様書（電子申請）令和8年3月 第16.2版・自動チェック一覧による項番（SHFD0006.CSV、FD管理レコード22223）。docs/filing-formats.md',
  publisher: '日本年金機構',
});

export const EGOV_ACQUISITION_CODEC: FilingCodec = {
  kind: 'egov_acquisition',
  label: '健康保険・厚生年金保険 被保険者資格取得届（届書CSV）',
  spec: egovSpec(ACQUISITION_LAYOUT),
  purpose: 'health_pension_insurance',
  destination: 'pension_office',
  channel: 'egov',
  parse: (bytes) => parseEgovFile(bytes, 'egov_acquisition', ACQUISITION_LAYOUT),
};

export const EGOV_LOSS_CODEC: FilingCodec = {
  kind: 'egov_loss',
  label: '健康保険・厚生年金保険 被保険者資格喪失届（届書CSV）',
  spec: egovSpec(LOSS_LAYOUT),
  purpose: 'health_pension_insurance',
  destination: 'pension_office',
  channel: 'egov',
  parse: (bytes) => parseEgovFile(bytes, 'egov_loss', LOSS_LAYOUT),
};
