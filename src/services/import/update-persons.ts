import { parse } from 'csv-parse/sync';
import type { Actor } from '../../domain/audit-events.js';
import { AppError } from '../../domain/errors.js';
import { normaliseCode } from '../../domain/persons.js';
import { writeTransaction } from '../../storage/database.js';
import { FormError } from '../accounts.js';
import { retirePerson, updatePerson } from '../persons.js';
import type { Vault } from '../vault.js';
import { COLUMN_LABEL, mapHeader, type Column } from './columns.js';
import { decodeCsv, type CsvEncoding } from './decode.js';
import type { RowError } from './import-persons.js';

/** What an update import reads and writes. */
export type PersonUpdateStore = Pick<Vault, 'db' | 'persons' | 'auditRepo' | 'audit' | 'clock'>;

/** Columns a bulk update may carry: the keys (社員番号; 扶養元社員番号 + 氏名 for a dependant) and the fields it changes. Numbers change only through intake. */
const UPDATABLE: readonly Column[] = ['code', 'name', 'kana', 'birth_date', 'retired_on', 'supporter_code', 'relationship'];

/** The update-only column that renames a dependant (whose 氏名 is the key of its row). */
const NEW_NAME_HEADERS = new Set(['新しい氏名', '新氏名', 'new_name']);

/** Names compared as a person would write them: NFKC, spaces (full- or half-width) ignored. */
function nameKey(name: string): string {
  return name.normalize('NFKC').replace(/\s+/gu, '');
}

export interface UpdateReport {
  encoding: CsvEncoding | null;
  rows: number;
  committed: boolean;
  /** Persons whose fields changed, and persons retired. */
  updated: number;
  retired: number;
  errors: RowError[];
}

class Rollback extends Error {}

/**
 * Bulk update of existing employees matched by 社員番号 (氏名, フリガナ, 生年月日 and
 * 退職日; an empty cell leaves the field as it is), and of their dependants matched
 * by 扶養元社員番号 + 今の氏名 (新しい氏名, フリガナ, 生年月日, 続柄). All or nothing: every row is
 * applied through the register's own checks inside one transaction, and any bad
 * row rolls all of them back and is listed. Each change is audited as the
 * handler's form would audit it (person.updated, person.retired), plus one
 * persons.bulk_updated row for the file.
 */
export function updatePersonsFromCsv(vault: PersonUpdateStore, bytes: Uint8Array, opts: { actor: Actor; client?: string | null }): UpdateReport {
  const report: UpdateReport = { encoding: null, rows: 0, committed: false, updated: 0, retired: 0, errors: [] };
  const { text, encoding } = decodeCsv(bytes);
  report.encoding = encoding;
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true, bom: true }) as string[][];
  } catch {
    report.errors.push({ line: 0, message: 'CSVとして読めません（引用符「"」の閉じ忘れなど）。表計算ソフトでCSV形式として保存し直してください。' });
    return report;
  }
  const [rawHeader, ...rows] = records;
  report.rows = rows.length;
  // 新しい氏名 is read here and hidden from the import's header map (it is no column of a new-person file).
  const newNameAt = (rawHeader ?? []).findIndex((h) => NEW_NAME_HEADERS.has(h.normalize('NFKC').replace(/^\uFEFF/u, '').trim().toLowerCase()));
  const header = (rawHeader ?? []).map((h, i) => (i === newNameAt ? '' : h));
  const map = mapHeader(header);
  const problems = map.problems.filter((p) => !p.startsWith('必須の列'));
  if (!map.columns.includes('code') && !map.columns.includes('supporter_code')) problems.push('列「社員番号」がありません。更新する人を社員番号で（扶養親族は扶養元社員番号と氏名で）指定してください。');
  for (const c of map.columns) if (c && !UPDATABLE.includes(c)) problems.push(`列「${COLUMN_LABEL[c]}」は一括更新では変えられません（使える列: 社員番号・氏名・フリガナ・生年月日・退職日、扶養親族は 扶養元社員番号・氏名・新しい氏名・フリガナ・生年月日・続柄）。${c === 'my_number' ? '個人番号は本人確認とともに取得画面で登録してください。' : ''}`);
  if (problems.length) {
    report.errors.push(...problems.map((message) => ({ line: 1, message })));
    return report;
  }
  if (rows.length === 0) {
    report.errors.push({ line: 1, message: 'データの行がありません。' });
    return report;
  }
  const at = (row: string[], c: Column) => {
    const i = map.columns.indexOf(c);
    const v = i < 0 ? '' : (row[i] ?? '').trim();
    return v === '' ? undefined : v;
  };
  const codes = vault.persons.codes('employee');
  const seen = new Set<number>();
  const newName = (row: string[]) => (newNameAt < 0 ? undefined : (row[newNameAt] ?? '').trim() || undefined);
  try {
    writeTransaction(vault.db, () => {
      for (const [n, row] of rows.entries()) {
        const line = n + 2;
        if (at(row, 'supporter_code') !== undefined) {
          updateDependantRow(vault, opts, row, line, { at, newName, codes, seen, report });
          continue;
        }
        if (newName(row) !== undefined) {
          report.errors.push({ line, message: '列「新しい氏名」は扶養親族の行（扶養元社員番号のある行）で使います。従業員の氏名は列「氏名」で変えてください。' });
          continue;
        }
        if (at(row, 'relationship') !== undefined) {
          report.errors.push({ line, message: '続柄は扶養親族の行（扶養元社員番号のある行）にだけ入れてください。' });
          continue;
        }
        const code = normaliseCode(at(row, 'code') ?? '');
        const id = code === undefined ? undefined : codes.get(code);
        if (id === undefined) {
          report.errors.push({ line, message: '社員番号が空か、台帳にない社員番号です。新しい人はCSV取り込み（新規登録）で登録してください。' });
          continue;
        }
        if (seen.has(id)) {
          report.errors.push({ line, message: `社員番号「${code}」が2回あります。1行にまとめてください。` });
          continue;
        }
        seen.add(id);
        const before = vault.persons.byId(id)!;
        try {
          const form = { code: before.code ?? '', name: at(row, 'name') ?? before.name, kana: at(row, 'kana') ?? before.kana ?? '', birthDate: at(row, 'birth_date') ?? before.birthDate ?? '', relationship: before.relationship ?? '', corporateNumber: before.corporateNumber ?? '' };
          const seq = vault.auditRepo.count();
          updatePerson(vault, opts.actor, id, form, opts.client ?? null);
          if (vault.auditRepo.count() > seq) report.updated++;
          const retiredOn = at(row, 'retired_on');
          if (retiredOn !== undefined) {
            if (before.status === 'retired') throw new AppError('invalid', 'この人は既に退職が記録されています。');
            retirePerson(vault, opts.actor, id, retiredOn, opts.client ?? null);
            report.retired++;
          }
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          const message = err instanceof FormError ? Object.values(err.fields).join(' ') : err.publicMessage;
          report.errors.push({ line, message });
        }
      }
      if (report.errors.length) throw new Rollback();
      vault.audit.append({ actor: opts.actor, action: 'persons.bulk_updated', client: opts.client ?? null, detail: { rows: rows.length, updated: report.updated, retired: report.retired } });
    });
    report.committed = true;
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    report.updated = 0;
    report.retired = 0;
  }
  return report;
}

interface RowContext {
  at: (row: string[], c: Column) => string | undefined;
  newName: (row: string[]) => string | undefined;
  codes: Map<string, number>;
  seen: Set<number>;
  report: UpdateReport;
}

/**
 * A dependant's row: its employee by 扶養元社員番号, the dependant by its current 氏名
 * among that employee's dependants (exactly one must match); 新しい氏名, フリガナ,
 * 生年月日 and 続柄 change through the register's own check (updatePerson). A
 * dependant has no 社員番号 and no 退職日 (its 異動 is recorded on the person page).
 */
function updateDependantRow(vault: PersonUpdateStore, opts: { actor: Actor; client?: string | null }, row: string[], line: number, c: RowContext): void {
  const fail = (message: string) => c.report.errors.push({ line, message });
  if (c.at(row, 'code') !== undefined) return void fail('扶養親族の行では社員番号を空にしてください（扶養元社員番号と氏名で照合します）。');
  if (c.at(row, 'retired_on') !== undefined) return void fail('扶養親族に退職日は記録できません。扶養から外れた日は人物の画面の「異動」で記録してください。');
  const supporterCode = normaliseCode(c.at(row, 'supporter_code') ?? '');
  const supporterId = supporterCode === undefined ? undefined : c.codes.get(supporterCode);
  if (supporterId === undefined) return void fail('扶養元社員番号が台帳にありません。');
  const name = c.at(row, 'name');
  if (name === undefined) return void fail('扶養親族の行には、照合のため今の氏名を列「氏名」に入れてください（変える場合は列「新しい氏名」）。');
  const matches = vault.persons.dependantsOf(supporterId).filter((d) => nameKey(d.name) === nameKey(name));
  if (matches.length === 0) return void fail(`社員番号「${supporterCode}」の扶養親族に「${name}」が見つかりません。今登録されている氏名を入れてください。`);
  if (matches.length > 1) return void fail(`社員番号「${supporterCode}」の扶養親族に「${name}」が2人います。人物の画面で1人ずつ変更してください。`);
  const id = matches[0]!.id;
  if (c.seen.has(id)) return void fail(`扶養親族「${name}」が2回あります。1行にまとめてください。`);
  c.seen.add(id);
  const before = vault.persons.byId(id)!;
  try {
    const form = {
      code: '', name: c.newName(row) ?? before.name, kana: c.at(row, 'kana') ?? before.kana ?? '', birthDate: c.at(row, 'birth_date') ?? before.birthDate ?? '',
      relationship: c.at(row, 'relationship') ?? before.relationship ?? '', corporateNumber: '',
    };
    const seq = vault.auditRepo.count();
    updatePerson(vault, opts.actor, id, form, opts.client ?? null);
    if (vault.auditRepo.count() > seq) c.report.updated++;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    fail(err instanceof FormError ? Object.values(err.fields).join(' ') : err.publicMessage);
  }
}
