import { writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { isMonthlyKind, type ReportKind } from '../reports/model.js';
import { assertChromium, DEFAULT_CHROMIUM, htmlToPdf } from '../reports/pdf.js';
import { monthPeriod } from '../reports/period.js';
import { printReport, type ReportRequest } from '../reports/print.js';
import { renderReportHtml } from '../reports/render.js';
import { dataDirFrom, parse } from './args.js';
import { openForCommand } from './open.js';
import { usageError } from './output.js';

const KINDS = ['activity', 'entries', 'disposal', 'register'] as const;

/**
 * `mnvault report <kind> --month YYYY-MM --data DIR --out FILE.pdf`: prints a
 * report to PDF for scheduled printing (e.g. cron/systemd timer, then `lp`).
 * The print is audited like one from the web app. Exit 2 on bad usage or when
 * Chromium is missing.
 */
export async function reportCommand(argv: string[], config: Config, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, month: { type: 'string' }, out: { type: 'string' } }, true);
  const kind = positionals[0] as ReportKind | undefined;
  if (!kind || positionals.length !== 1 || !(KINDS as readonly string[]).includes(kind)) {
    throw usageError(`帳票の種類を ${KINDS.join('・')} のどれかで指定してください（例: mnvault report activity --month 2026-04 --data DIR --out 2026-04.pdf）。`);
  }
  if (!values.out || !/\.pdf$/iu.test(values.out)) throw usageError('--out に書き出すPDFファイル（.pdf）を指定してください。');
  let request: ReportRequest;
  if (isMonthlyKind(kind)) {
    if (!values.month) throw usageError('--month に対象月を YYYY-MM の形式（例: 2026-04）で指定してください。');
    try {
      request = { kind, period: monthPeriod(values.month) };
    } catch (e) {
      throw usageError(e instanceof AppError ? e.publicMessage : String(e));
    }
  } else {
    request = { kind: 'register' };
  }
  return printReportPdf(dataDirFrom(values.data, config), config, request, 'mnvault report', values.out, out, err);
}

/**
 * Prints one report to `outPath` as PDF with Chromium, audited as a print by
 * `actorName` (also the 提出記録 of mnvault filing-records): 2 when Chromium is
 * missing, else 0 once written (mode 600).
 */
export async function printReportPdf(
  dataDir: string,
  config: Config,
  request: ReportRequest,
  actorName: string,
  outPath: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const chromium = config.chromiumPath ?? DEFAULT_CHROMIUM;
  try {
    assertChromium(chromium);
  } catch (e) {
    err.write(`${(e as AppError).publicMessage}\n`);
    return 2;
  }
  const vault = openForCommand(dataDir, config, err);
  try {
    const model = printReport(vault, { id: 'cli', name: actorName }, request, 'pdf', null);
    const pdf = await htmlToPdf(await renderReportHtml(model, { mode: 'pdf' }), chromium);
    writeFileSync(outPath, pdf, { mode: 0o600 });
    out.write(`${model.title}（${model.period ?? ''}）を ${outPath} に書き出しました。監査記録の先頭: seq ${model.head.seq} ${model.head.hash}\n`);
    return 0;
  } finally {
    vault.close();
  }
}
