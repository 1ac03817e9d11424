import type { ReportEventRow } from '../storage/report-repo.js';
import { formatDate, formatTime } from '../web/view-models.js';

/** What a disposal left in older backups: the copies still there, the age-out date, the erasure confirmation. */
export interface DisposalBackups {
  agedOutOn: string | null;
  copies: { name: string; createdAt: string }[];
  erased: { at: string; by: string } | null;
}
import { detailOf, num, subjectsOf } from './labels.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';
import type { Period } from './period.js';

/** The disposal event as the lifecycle writes it (issue 6): persons in subjects, never a number. */
export const DISPOSAL_ACTION = 'number.disposed';

/**
 * 削除・廃棄記録 / disposal certificate for a period, from `number.disposed`
 * events (detail: disposal_id, proposed_by, approved_by, reason, batch):
 * what was disposed, when, by whom and who approved it. No numbers.
 * `names` maps user ids to display names for proposed_by / approved_by.
 */
export function buildDisposalReport(
  ctx: ReportContext,
  period: Period,
  events: Iterable<ReportEventRow>,
  names: ReadonlyMap<string, string>,
  backupsOf: (disposalId: number) => DisposalBackups = () => ({ agedOutOn: null, copies: [], erased: null }),
): ReportModel {
  const who = (v: unknown) => (typeof v === 'string' ? (names.get(v) ?? v) : '');
  const rows: string[][] = [];
  const persons: string[][] = [];
  const copies: string[][] = [];
  const disposalIds: number[] = [];
  let total = 0;
  for (const r of events) {
    const d = detailOf(r);
    const subjects = subjectsOf(r);
    total += subjects.length;
    const id = d.disposal_id === undefined || d.disposal_id === null ? String(r.seq) : String(d.disposal_id);
    rows.push([id, formatTime(r.at), `${num(subjects.length)} 名`, String(d.batch ?? ''), typeof d.reason === 'string' ? d.reason : '', who(d.proposed_by), who(d.approved_by), r.actorName, String(r.seq)]);
    for (const s of subjects) persons.push([id, s.name]);
    if (typeof d.disposal_id === 'number') disposalIds.push(d.disposal_id);
  }
  // Read after the events: the iterator holds the connection until it ends.
  for (const disposalId of disposalIds) {
    const b = backupsOf(disposalId);
    copies.push([
      String(disposalId),
      b.copies.length === 0 ? 'なし（設定のフォルダーに廃棄前のバックアップはありません）' : b.copies.map((c) => `${c.name}（${formatTime(c.createdAt)}作成）`).join('、'),
      b.agedOutOn ? formatDate(b.agedOutOn) : '—',
      b.erased ? `確認済 ${formatTime(b.erased.at)} ${b.erased.by}` : '未確認',
    ]);
  }
  const certificate = section('1. 証明', {
    paragraphs: [
      rows.length === 0
        ? `この期間に削除・廃棄した特定個人情報はありません（${NONE}）。`
        : `下記のとおり、保存期間を経過した特定個人情報（個人番号）を、金庫のデータベースから復元できない方法により削除・廃棄したことを証明します。個人番号そのものは記録していません。`,
      ...(rows.length === 0
        ? []
        : ['ただし、廃棄より前に作成したバックアップには、暗号化された複製が各バックアップの期限切れの日まで残ります（下記「4」）。その消去は「バックアップ消去確認」として別に記録します。廃棄の記録（廃棄台帳）は金庫の外にも保管し、古いバックアップから復元したときは廃棄を適用し直します。']),
    ],
    facts: [
      ['削除・廃棄の件数', `${num(rows.length)} 件`],
      ['対象者の数', `${num(total)} 名`],
      ['方法', '暗号化データベース内の封緘データの削除（secure_delete）と WAL の切り詰め'],
    ],
  });
  const list = section('2. 削除・廃棄の記録', {
    tables: [{ columns: ['廃棄ID', '日時', '人数', 'バッチ', '理由', '起案者', '承認者', '実施者', 'seq'], rows, empty: NONE, variant: 'disposal' }],
  });
  const who2 = section('3. 対象者（氏名）', { tables: [{ columns: ['廃棄ID', '氏名'], rows: persons, empty: NONE, variant: 'counts' }] });
  const backups = section('4. バックアップに残る暗号化された複製', {
    tables: [{ columns: ['廃棄ID', '複製が残るバックアップ（印刷時点）', '期限切れの日', 'バックアップ消去確認'], rows: copies, empty: NONE, variant: 'disposal-backups' }],
  });
  return model('disposal', ctx, period.label, [certificate, list, who2, backups]);
}
