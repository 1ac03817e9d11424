import { parse } from 'csv-parse/sync';
import { parsePersonKind, normaliseCode, PERSON_KIND_LABEL } from '../../domain/persons.js';
import { purposeCodesFor } from '../../domain/purposes.js';
import type { Secret } from '../../domain/secret.js';
import { numberIndex } from '../../vault/number-index.js';
import type { Column } from './columns.js';
import { decodeAs, type CsvEncoding } from './decode.js';
import { validateRow, type PersonDraft } from './validate.js';

/** A row of the file as csv-parse gives it, with the line it ends on. */
export type ParsedRecord = { record: string[]; info: { lines: number } };

export interface RowError {
  /** Line in the file (the header is line 1). */
  line: number;
  message: string;
}

/** A row that passed its own checks, with the keyed index of its number. */
export interface Checked extends PersonDraft {
  index: Buffer | null;
}

/** What the checks of each row on its own found. */
export interface RowChecks {
  drafts: Checked[];
  errors: RowError[];
  warnings: RowError[];
  /** 社員番号 → line of the employees whose rows failed: their dependants fail with them. */
  badEmployees: Map<string, number>;
}

export interface CheckContext {
  columns: readonly (Column | undefined)[];
  /** Cells in the header: a row with another count is refused. */
  headerLength: number;
  /** Today in Japan (YYYY-MM-DD). */
  today: string;
  /** The purposes chosen for the upload (when the file has no 利用目的 column). */
  purposes: readonly string[] | undefined;
  indexKey: Secret<Buffer>;
}

/** Parses decoded CSV text; a file that is not CSV throws with the line (csv-parse's `lines`). */
export function parseCsvText(text: string): ParsedRecord[] {
  return parse(text, { info: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: false, bom: true }) as unknown as ParsedRecord[];
}

/** Decodes and parses (a part of) a file; the decoded text is garbage once this returns. */
export function decodeAndParse(bytes: Uint8Array, encoding: CsvEncoding): { records: ParsedRecord[] } | { records: null; line: number } {
  try {
    return { records: parseCsvText(decodeAs(bytes, encoding)) };
  } catch (cause) {
    return { records: null, line: (cause as { lines?: number }).lines ?? 0 };
  }
}

/**
 * Checks each record from `first` on its own (its cells, its number's check
 * digit, the purposes notified), adding `lineOffset` to the lines csv-parse
 * counted (a part of a file parsed apart from the lines before it).
 */
export function checkRecords(records: readonly ParsedRecord[], first: number, lineOffset: number, ctx: CheckContext, onRow?: (i: number) => void): RowChecks {
  const out: RowChecks = { drafts: [], errors: [], warnings: [], badEmployees: new Map() };
  for (let i = first; i < records.length; i++) {
    const { record, info } = records[i]!;
    const line = lineOffset + startLine(record, info.lines);
    onRow?.(i);
    if (record.length !== ctx.headerLength) {
      out.errors.push({ line, message: `列の数（${record.length}）が見出し（${ctx.headerLength}）と違います。区切りのカンマや引用符を確認してください。` });
      continue;
    }
    const r = validateRow(record, ctx.columns, line, ctx.today);
    if (!r.ok) {
      for (const message of r.problems) out.errors.push({ line, message });
      const code = employeeCodeOf(record, ctx.columns);
      if (code !== undefined && !out.badEmployees.has(code)) out.badEmployees.set(code, line);
      continue;
    }
    const notified = notifiedFor(r.draft, ctx.purposes);
    if (notified.length === 0 && (r.draft.number !== null || r.draft.refusalReason !== null)) {
      out.errors.push({ line, message: `この行の人（${PERSON_KIND_LABEL[r.draft.kind]}）に通知した利用目的がありません。利用目的の列に入れるか、取り込むときに通知した利用目的を選んでください。` });
      continue;
    }
    out.drafts.push({ ...r.draft, purposes: notified, index: r.draft.number ? numberIndex(ctx.indexKey, r.draft.number) : null });
    const warning = r.draft.number?.placeholderWarning();
    if (warning) out.warnings.push({ line, message: warning });
  }
  return out;
}

/** The 社員番号 of a row that failed its own checks, if it is an employee's: its dependants fail with it. */
function employeeCodeOf(record: readonly string[], columns: readonly (Column | undefined)[]): string | undefined {
  const kind = record[columns.indexOf('kind')];
  const code = record[columns.indexOf('code')];
  if (kind === undefined || code === undefined || parsePersonKind(kind) !== 'employee') return undefined;
  return normaliseCode(code);
}

/** csv-parse gives the line a record ends on; quoted line breaks move its start back. */
function startLine(record: readonly string[], endLine: number): number {
  let breaks = 0;
  for (const cell of record) for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) breaks++;
  return endLine - breaks;
}

/** The purposes notified to a row's person: its 利用目的 cell, else the upload's choice for its kind (never a default). */
function notifiedFor(d: PersonDraft, chosen: readonly string[] | undefined): string[] {
  if (d.purposes !== null) return d.purposes;
  const ofKind = purposeCodesFor(d.kind) as string[];
  return ofKind.filter((c) => (chosen ?? []).includes(c));
}
