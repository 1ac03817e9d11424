/**
 * Export column profiles: what a number export file looks like for the
 * program that imports it — encoding, header line, column order, which
 * column keys the person (so the importing program finds its own record) and
 * which column(s) carry a number. A profile is a pure description; the
 * writer below turns rows into the file's text, and the gate encodes it.
 *
 * A payroll or 労務 package gets a profile only where its publisher documents
 * a number import layout completely (every column, the encoding, whether a
 * header line is read). docs/filing-formats.md ("Export column profiles")
 * lists the packages looked at and why none of them has a profile yet; a
 * layout is never guessed, since a number written into the wrong column of
 * an import is a number given to the wrong record.
 */
import { guardSpreadsheetCell } from './spreadsheet-cell.js';

/** What a cell of an export row can hold. */
export type ExportColumn = 'kind' | 'code' | 'name' | 'kana' | 'birth_date' | 'my_number' | 'relationship' | 'supporter_code';

/** One person of an export, in the role the purpose concerns (services/gate.ts decides the role). */
export type ExportCells = Record<ExportColumn, string | null>;

export type ExportProfileCode = 'appliance';
export type ExportProfileEncoding = 'utf8_bom' | 'shift_jis';

export interface ExportProfile {
  code: ExportProfileCode;
  label: string;
  /** The layout the profile follows: its title and publisher, as for the filing codecs. */
  spec: { title: string; publisher: string };
  /** The encodings the importing program reads; the handler chooses among them when there are several. */
  encodings: readonly ExportProfileEncoding[];
  /** The header line, cell for cell; null when the layout has none. */
  header: readonly string[] | null;
  /** The column each cell of a row is taken from, in file order. */
  columns: readonly ExportColumn[];
  /** The column the importing program finds its own record by. */
  key: ExportColumn;
  /** The columns that carry a number: the only cells that differ from a file without numbers. */
  numbers: readonly ExportColumn[];
  lineEnd: '\r\n';
}

/**
 * The appliance's own CSV (docs/csv-format.md): the import's column names, so
 * an export reads back into a vault and a payroll package that imports
 * numbers by 社員番号 can map it once. Shift_JIS for Windows programs that
 * read only that, UTF-8 with a byte order mark otherwise (Excel needs the mark).
 */
export const APPLIANCE_PROFILE: ExportProfile = {
  code: 'appliance',
  label: 'この装置のCSV形式',
  spec: { title: 'mynumber-vault CSV形式（docs/csv-format.md）', publisher: 'mynumber-vault' },
  encodings: ['utf8_bom', 'shift_jis'],
  header: ['種別', '社員番号', '氏名', 'フリガナ', '生年月日', '個人番号', '続柄', '扶養元社員番号'],
  columns: ['kind', 'code', 'name', 'kana', 'birth_date', 'my_number', 'relationship', 'supporter_code'],
  key: 'code',
  numbers: ['my_number'],
  lineEnd: '\r\n',
};

export const EXPORT_PROFILES: readonly ExportProfile[] = [APPLIANCE_PROFILE];

export function findExportProfile(code: string): ExportProfile | undefined {
  return EXPORT_PROFILES.find((p) => p.code === code);
}

/** One CSV cell: guarded against formula evaluation, quoted when it holds a quote, comma, line break or guard. */
export function csvCell(value: string | null): string {
  const v = guardSpreadsheetCell(value ?? '');
  return /[",'\r\n\t]/u.test(v) ? `"${v.replace(/"/gu, '""')}"` : v;
}

/** The file's text for a profile: the header line (if any), then one line per row, each ended by the profile's line end. */
export function profileText(profile: ExportProfile, rows: readonly ExportCells[]): string {
  const lines = profile.header ? [profile.header.map(csvCell).join(',')] : [];
  for (const row of rows) lines.push(profile.columns.map((c) => csvCell(row[c])).join(','));
  return lines.map((l) => l + profile.lineEnd).join('');
}
