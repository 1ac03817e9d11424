import { FILING_KIND_LABEL } from '../domain/filing-record.js';
import { PROVISION_CHANNEL_LABEL, PROVISION_DESTINATION_LABEL } from '../domain/provision.js';
import type { SubmissionEntry } from '../storage/filing-corrections-repo.js';
import type { HandoverRow } from '../storage/filing-records-repo.js';
import { formatTime } from '../web/view-models.js';
import { num } from './labels.js';
import { model, NONE, section, tally, type ReportContext, type ReportModel } from './model.js';

const kindLabel = (k: string) => FILING_KIND_LABEL[k as keyof typeof FILING_KIND_LABEL] ?? k;

/** One handover as a row of the 提出記録 (and of the 取扱状況記録's open handovers). */
export function handoverCells(h: HandoverRow): string[] {
  return [
    kindLabel(h.kind),
    h.year === null ? '—' : `${h.year}年分`,
    [PROVISION_DESTINATION_LABEL[h.destination] ?? h.destination, h.destinationName ?? ''].filter(Boolean).join(' '),
    PROVISION_CHANNEL_LABEL[h.channel] ?? h.channel,
    `${num(h.persons)} 名`,
    formatTime(h.mergedAt),
    h.submittedOn ? `${h.submittedOn.replaceAll('-', '/')}${h.corrections > 0 ? '（訂正あり）' : ''}` : '未提出',
    h.receiptNo ?? '',
    h.fileDeletedAt ? `確認済 ${formatTime(h.fileDeletedAt)}` : '未確認',
  ];
}

export const HANDOVER_COLUMNS = ['書類', '年分', '提出先', '方法', '人数', '番号を入れた日時', '提出日', '受付番号', '手元ファイルの削除'];

export const CORRECTION_COLUMNS = ['書類', '記録', '提出先の名称', '提出日', '受付番号', '訂正の理由', '記録・訂正した人', '日時'];

/** The submission histories of the corrected handovers as rows: the first record, then each correction with its reason. */
export function correctionRows(entries: readonly SubmissionEntry[], kindOf: (handoverId: number) => string): string[][] {
  let n = 0;
  return entries.map((e, i) => {
    n = i > 0 && entries[i - 1]!.handoverId === e.handoverId ? n + 1 : 0;
    return [
      `${kindLabel(kindOf(e.handoverId))}（#${e.handoverId}）`,
      n === 0 ? '当初の記録' : `訂正${n}`,
      e.destinationName,
      e.submittedOn.replaceAll('-', '/'),
      e.receiptNo ?? '',
      e.reason ?? '',
      e.byName ?? '',
      formatTime(e.at),
    ];
  });
}

/**
 * 提出記録 of a filing year: every merged filing file of the year with where it
 * was submitted, when, its receipt number and the deletion of its local copy
 * (提供の記録, 番号法19条; 持出しの記録, guideline 事業者編 安全管理措置 E-c).
 * A corrected submission (訂正) shows its record in force in the list, and its
 * first record and every correction, with who, when and why, in a section of
 * their own. Pure: the handovers and histories come in, bounded by the printed head.
 */
export function buildFilingsReport(ctx: ReportContext, year: number, handovers: readonly HandoverRow[], corrections: readonly SubmissionEntry[] = []): ReportModel {
  const open = handovers.filter((h) => h.submittedOn === null || h.fileDeletedAt === null);
  const summary = section('1. 概要', {
    facts: [
      ['申告書ファイルの件数', `${num(handovers.length)} 件`],
      ['提出の記録がないもの', `${num(handovers.filter((h) => h.submittedOn === null).length)} 件`],
      ['手元ファイルの削除の確認がないもの', `${num(handovers.filter((h) => h.fileDeletedAt === null).length)} 件`],
    ],
    tables: [{ caption: '書類別', columns: ['書類', '件数'], rows: tally(handovers.map((h) => kindLabel(h.kind))), empty: NONE, variant: 'counts' }],
  });
  const list = section('2. 提出の記録', {
    paragraphs: ['装置で番号を入れた申告書ファイルごとに、提出先・方法・提出日・受付番号と、手元のファイルの削除の確認を示します。個人番号そのものは記録していません。'],
    tables: [{ columns: HANDOVER_COLUMNS, rows: handovers.map(handoverCells), empty: NONE, variant: 'filings' }],
  });
  const kinds = new Map(handovers.map((h) => [h.id, h.kind]));
  const corrected = section('3. 提出の記録の訂正', {
    paragraphs: ['提出の記録を訂正したものは、当初の記録を消さずに残し、訂正ごとに訂正した人・日時・理由を示します。上の一覧は最後の訂正による記録です。'],
    tables: [{ columns: CORRECTION_COLUMNS, rows: correctionRows(corrections, (id) => kinds.get(id) ?? ''), empty: NONE, variant: 'filings' }],
  });
  const pending = section('4. 完了していないもの（この帳票の印刷時点）', {
    tables: [{ columns: HANDOVER_COLUMNS, rows: open.map(handoverCells), empty: NONE, variant: 'filings' }],
  });
  return model('filings', ctx, `${year}年分`, [summary, list, corrected, pending]);
}
