import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { PERSON_KIND_LABEL } from '../domain/persons.js';
import { importPersons, type ImportPhase } from '../services/import/import-persons.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';

const PHASE_LABEL: Record<ImportPhase, string> = { parse: '読み込み・検査', check: '重複・扶養元の確認', store: '暗号化・保存' };

export function importCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WriteStream | NodeJS.WritableStream): number {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, 'skip-invalid': { type: 'boolean' }, purposes: { type: 'string' } }, true);
  const dataDir = dataDirFrom(values.data, config);
  const file = positionals[0];
  if (!file || positionals.length > 1) throw usageError('取り込むCSVファイルを1つ指定してください: mnvault import --data DIR FILE.csv');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new AppError('invalid', `CSVファイル（${file}）を読めません。パスと権限を確認してください。`);
  }
  const tty = 'isTTY' in err && err.isTTY === true;
  const vault = openForCommand(dataDir, config, err);
  try {
    const report = importPersons(vault, bytes, {
      actor: { id: 'cli', name: 'mnvault import' },
      skipInvalid: values['skip-invalid'] ?? false,
      // --purposes withholding_slip,salary_payment_report: what was notified to the persons of this file.
      purposes: values.purposes === undefined ? undefined : values.purposes.split(',').map((c) => c.trim()).filter((c) => c !== ''),
      onProgress: tty
        ? (phase, done, total) => err.write(`\r${PHASE_LABEL[phase]}: ${done.toLocaleString('ja-JP')} / ${total.toLocaleString('ja-JP')} 行   ${done === total ? '\n' : ''}`)
        : undefined,
    });
    bytes.fill(0);
    for (const e of report.errors) err.write(`${e.line}行目: ${e.message}\n`);
    for (const w of report.warnings) err.write(`注意 ${w.line}行目: ${w.message}\n`);
    const badLines = new Set(report.errors.map((e) => e.line)).size;
    if (!report.committed) {
      err.write(
        report.errors.length > 0
          ? `\n誤りのある行が ${badLines} 行あるため、1件も取り込みませんでした。修正して再実行するか、正しい行だけ取り込む場合は --skip-invalid を付けてください。\n`
          : '\n取り込める行がありませんでした。\n',
      );
      return 2;
    }
    const i = report.imported;
    out.write(
      `取り込みました（文字コード: ${report.encoding}）: ` +
        `${PERSON_KIND_LABEL.employee} ${i.employee} 名、${PERSON_KIND_LABEL.dependant} ${i.dependant} 名、${PERSON_KIND_LABEL.payee} ${i.payee} 名` +
        `（うち番号未提供 ${i.notProvided} 名）。監査記録 seq ${report.auditSeq}。\n`,
    );
    if (report.errors.length > 0) out.write(`誤りのある ${badLines} 行は取り込みませんでした（上記）。\n`);
    return 0;
  } finally {
    vault.close();
  }
}
