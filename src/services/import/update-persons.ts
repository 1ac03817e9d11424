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

/** Columns a bulk update may carry: the key (社員番号) and the fields it changes. Numbers change only through intake. */
const UPDATABLE: readonly Column[] = ['code', 'name', 'kana', 'birth_date', 'retired_on'];

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
 * 退職日; an empty cell leaves the field as it is). All or nothing: every row is
 * applied through the register's own checks inside one transaction, and any bad
 * row rolls all of them back and is listed. Each change is audited as the
 * handler's form would audit it (person.updated, person.retired), plus one
 * persons.bulk_updated row for the file.
 */
export function updatePersonsFromCsv(vault: Vault, bytes: Uint8Array, opts: { actor: Actor; client?: string | null }): UpdateReport {
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
  const [header, ...rows] = records;
  report.rows = rows.length;
  const map = mapHeader(header ?? []);
  const problems = map.problems.filter((p) => !p.startsWith('必須の列'));
  if (!map.columns.includes('code')) problems.push('列「社員番号」がありません。更新する人を社員番号で指定してください。');
  for (const c of map.columns) if (c && !UPDATABLE.includes(c)) problems.push(`列「${COLUMN_LABEL[c]}」は一括更新では変えられません（使える列: 社員番号・氏名・フリガナ・生年月日・退職日）。${c === 'my_number' ? '個人番号は本人確認とともに取得画面で登録してください。' : ''}`);
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
  try {
    writeTransaction(vault.db, () => {
      for (const [n, row] of rows.entries()) {
        const line = n + 2;
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
