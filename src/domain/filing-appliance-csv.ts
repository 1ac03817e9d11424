/**
 * The appliance's own CSV (docs/csv-format.md; the columns of the plain export)
 * as a filing file: a payroll package that imports numbers from this format
 * writes the file with the 個人番号 column empty, and the merge fills it.
 *
 * Rows: 従業員 and 支払先 are subjects; a 扶養親族 row belongs to the subject
 * whose 社員番号 its 扶養元社員番号 names, in the same file. A payee row names
 * both its 個人番号 and, when the file has the column, its 法人番号 field; the
 * matched person decides which one is filled (a company has no 個人番号).
 * Number fields must be empty: a file that already holds anything there is
 * refused rather than overwritten.
 *
 * The kind's use is 源泉徴収票作成事務 (所得税法226条): the file is for the
 * payroll package that prints and e-files the 源泉徴収票, so its persons are
 * employees and their dependants; payee rows are refused by the purpose rule.
 */
import { AppError } from './errors.js';
import { COLUMN_ALIASES, COLUMN_LABEL, type Column as CsvColumn } from './csv-columns.js';
import { parseDate } from './dates.js';
import type { FilingCodec, FilingDependant, FilingRow, NumberSpan, ParsedFiling } from './filing.js';
import { detectEncoding, readCsvRecords, type CsvField, type CsvRecord } from './filing-csv-fields.js';
import { parsePersonKind } from './persons.js';

/** The columns a filing file of this format uses; the file's other columns are kept as they are. */
const READ = ['kind', 'code', 'name', 'kana', 'birth_date', 'my_number', 'relationship', 'supporter_code', 'corporate_number'] as const;
type Column = (typeof READ)[number];
const isRead = (c: CsvColumn): c is Column => (READ as readonly CsvColumn[]).includes(c);
const alias = (key: string) => (Object.hasOwn(COLUMN_ALIASES, key) ? COLUMN_ALIASES[key] : undefined);

const clean = (s: string) => s.normalize('NFKC').trim();

function columnsOf(header: CsvRecord): Map<Column, number> {
  const cols = new Map<Column, number>();
  header.fields.forEach((f, i) => {
    const key = clean(f.text.replace(/^\uFEFF/u, ''));
    const col = alias(key) ?? alias(key.toLowerCase());
    if (!col || !isRead(col)) return;
    if (cols.has(col)) throw new AppError('invalid', `1行目: 「${COLUMN_LABEL[col]}」の列が2つあります。列を1つにしてください。`);
    cols.set(col, i);
  });
  for (const need of ['kind', 'name', 'my_number'] as const) {
    if (!cols.has(need)) throw new AppError('invalid', `1行目: 「${COLUMN_LABEL[need]}」の列がありません。この装置のCSV形式（docs/csv-format.md）の見出しを使ってください。`);
  }
  return cols;
}

/** An empty number field, as a span of its width; anything in it refuses the file. */
function numberSpan(field: CsvField | undefined, line: number, col: Column, digits: 12 | 13): NumberSpan | undefined {
  if (!field) return undefined;
  if (field.start !== field.end) throw new AppError('invalid', `${line}行目: 「${COLUMN_LABEL[col]}」の欄が空ではありません。番号の欄を空にしたファイルを使ってください（番号はこの装置が入れます）。`);
  return { start: field.start, end: field.end, digits };
}

export function parseApplianceCsv(bytes: Buffer): ParsedFiling {
  const { encoding, bodyStart } = detectEncoding(bytes);
  const records = readCsvRecords(bytes, encoding, bodyStart);
  const header = records[0];
  if (!header) throw new AppError('invalid', 'ファイルが空です。給与ソフトが書き出したファイルを選んでください。');
  const cols = columnsOf(header);
  const text = (r: CsvRecord, c: Column) => {
    const i = cols.get(c);
    return i === undefined ? '' : clean(r.fields[i]?.text ?? '');
  };
  const field = (r: CsvRecord, c: Column) => {
    const i = cols.get(c);
    return i === undefined ? undefined : r.fields[i];
  };
  type Subject = Omit<FilingRow, 'dependants'> & { dependants: FilingDependant[] };
  const subjects: Subject[] = [];
  const byCode = new Map<string, Subject>();
  const pending: { line: number; supporter: string; dependant: FilingDependant }[] = [];
  for (const r of records.slice(1)) {
    const line = r.line;
    if (r.fields.length !== header.fields.length) throw new AppError('invalid', `${line}行目: 欄の数（${r.fields.length}）が見出し（${header.fields.length}）と違います。CSVの形を確認してください。`);
    const kind = parsePersonKind(text(r, 'kind'));
    if (!kind) throw new AppError('invalid', `${line}行目: 種別「${text(r, 'kind')}」は読めません。従業員・扶養親族・支払先のどれかにしてください。`);
    const name = text(r, 'name');
    if (name === '') throw new AppError('invalid', `${line}行目: 氏名がありません。`);
    const rawBirth = text(r, 'birth_date');
    const birthDate = rawBirth === '' ? undefined : parseDate(rawBirth);
    if (rawBirth !== '' && !birthDate) throw new AppError('invalid', `${line}行目: 生年月日「${rawBirth}」を日付として読めません。1990-04-01 のように書いてください。`);
    const kana = text(r, 'kana') || undefined;
    const own = numberSpan(field(r, 'my_number'), line, 'my_number', 12)!;
    if (kind === 'dependant') {
      const supporter = text(r, 'supporter_code');
      if (supporter === '') throw new AppError('invalid', `${line}行目: 扶養親族の行に扶養元社員番号がありません。`);
      pending.push({ line, supporter, dependant: { line, name, kana, birthDate, span: own } });
      continue;
    }
    const code = text(r, 'code') || undefined;
    const corporateSpan = kind === 'payee' ? numberSpan(field(r, 'corporate_number'), line, 'corporate_number', 13) : undefined;
    const subject: Subject = { line, employeeCode: code, name, kana, birthDate, corporate: false, spans: corporateSpan ? [own, corporateSpan] : [own], dependants: [] };
    if (code !== undefined && kind === 'employee') {
      if (byCode.has(code)) throw new AppError('invalid', `${line}行目: 社員番号「${code}」が${byCode.get(code)!.line}行目と重なっています。`);
      byCode.set(code, subject);
    }
    subjects.push(subject);
  }
  for (const p of pending) {
    const s = byCode.get(p.supporter);
    if (!s) throw new AppError('invalid', `${p.line}行目: 扶養元社員番号「${p.supporter}」の従業員がこのファイルにありません。`);
    s.dependants.push(p.dependant);
  }
  if (subjects.length === 0) throw new AppError('invalid', 'ファイルに従業員・支払先の行がありません。');
  return { kind: 'appliance_csv', encoding, rows: subjects };
}

export const APPLIANCE_CSV_CODEC: FilingCodec = {
  kind: 'appliance_csv',
  label: 'この装置のCSV形式（番号を取り込む給与ソフト用・源泉徴収票）',
  spec: { title: 'mynumber-vault CSV形式（docs/csv-format.md）', edition: '見出し: 種別,社員番号,氏名,フリガナ,生年月日,個人番号,続柄,扶養元社員番号', publisher: 'mynumber-vault' },
  purpose: 'withholding_slip',
  destination: 'tax_office',
  channel: 'etax',
  parse: parseApplianceCsv,
};
