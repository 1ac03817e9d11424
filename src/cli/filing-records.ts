import type { Config } from '../config.js';
import { japanDate } from '../domain/dates.js';
import { checkFilingYear } from '../domain/filing-record.js';
import { systemClock } from '../domain/ports.js';
import { correctionRows, CORRECTION_COLUMNS, HANDOVER_COLUMNS, handoverCells } from '../reports/filings.js';
import { FilingCorrectionsRepo } from '../storage/filing-corrections-repo.js';
import { FilingRecordsRepo } from '../storage/filing-records-repo.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { printReportPdf } from './report.js';
import { usageError } from './output.js';

const ACTIONS = ['list', 'pdf'] as const;

/** The year asked for: 2016 to this year (Japan time), else a usage error saying so. */
function yearFrom(value: string | undefined): number {
  const now = systemClock.now();
  if (value === undefined) throw usageError('--year に年分を西暦4桁で指定してください（例: --year 2026）。');
  const year = checkFilingYear(value, now);
  if (year === undefined) throw usageError(`年分は2016年から${japanDate(now).slice(0, 4)}年までの西暦4桁で指定してください（指定された値は年分として読めません）。`);
  return year;
}

/** Cells to a line: a tab between them, none inside (names and reasons hold no tab; this keeps a line a row). */
const line = (cells: readonly string[]) => `${cells.map((c) => c.replace(/[\t\r\n]/gu, ' ')).join('\t')}\n`;

/**
 * `mnvault filing-records list --year YYYY --data DIR`: the 提出記録 of a filing
 * year on the terminal, one handover a line (tab-separated, the columns of the
 * printed 提出記録), then the corrected submissions' histories. Reads only;
 * never a number (the records hold none).
 *
 * `mnvault filing-records pdf --year YYYY --data DIR --out FILE.pdf`: the
 * 提出記録 as the web app prints it, audited as report.printed like any print.
 * Exit 2 on bad usage or when Chromium is missing.
 */
export async function filingRecordsCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, year: { type: 'string' }, out: { type: 'string' } }, true);
  const action = positionals[0];
  if (positionals.length !== 1 || !(ACTIONS as readonly string[]).includes(action ?? '')) {
    throw usageError('list か pdf を指定してください（例: mnvault filing-records list --year 2026 --data DIR）。');
  }
  const year = yearFrom(values.year);
  const dataDir = dataDirFrom(values.data, config);
  if (action === 'list') {
    if (values.out !== undefined) throw usageError('--out は pdf で使います。一覧は画面に出します。');
    const vault = openForCommand(dataDir, config, err, { readonly: true });
    try {
      const handovers = new FilingRecordsRepo(vault.db).ofYear(year, Number.MAX_SAFE_INTEGER);
      const corrections = new FilingCorrectionsRepo(vault.db).correctedOfYear(year, Number.MAX_SAFE_INTEGER);
      out.write(
        `${year}年分の申告書ファイル: ${handovers.length} 件（提出の記録がないもの ${handovers.filter((h) => h.submittedOn === null).length} 件、削除の確認がないもの ${handovers.filter((h) => h.fileDeletedAt === null).length} 件）\n`,
      );
      if (handovers.length === 0) return 0;
      out.write(line(['#', ...HANDOVER_COLUMNS]));
      for (const h of handovers) out.write(line([String(h.id), ...handoverCells(h)]));
      if (corrections.length > 0) {
        const kinds = new Map(handovers.map((h) => [h.id, h.kind]));
        out.write(`\n提出の記録の訂正（当初の記録と訂正）:\n`);
        out.write(line(CORRECTION_COLUMNS));
        for (const row of correctionRows(corrections, (id) => kinds.get(id) ?? '')) out.write(line(row));
      }
      return 0;
    } finally {
      vault.close();
    }
  }
  if (!values.out || !/\.pdf$/iu.test(values.out)) throw usageError('--out に書き出すPDFファイル（.pdf）を指定してください。');
  return printReportPdf(dataDir, config, { kind: 'filings', year }, 'mnvault filing-records', values.out, out, err);
}
