import type { ReportEventRow } from '../storage/report-repo.js';
import { formatTime } from '../web/view-models.js';
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
export function buildDisposalReport(ctx: ReportContext, period: Period, events: Iterable<ReportEventRow>, names: ReadonlyMap<string, string>): ReportModel {
  const who = (v: unknown) => (typeof v === 'string' ? (names.get(v) ?? v) : '');
  const rows: string[][] = [];
  const persons: string[][] = [];
  let total = 0;
  for (const r of events) {
    const d = detailOf(r);
    const subjects = subjectsOf(r);
    total += subjects.length;
    const id = d.disposal_id === undefined || d.disposal_id === null ? String(r.seq) : String(d.disposal_id);
    rows.push([id, formatTime(r.at), `${num(subjects.length)} 名`, String(d.batch ?? ''), typeof d.reason === 'string' ? d.reason : '', who(d.proposed_by), who(d.approved_by), r.actorName, String(r.seq)]);
    for (const s of subjects) persons.push([id, s.name]);
  }
  const certificate = section('1. 証明', {
    paragraphs: [
      rows.length === 0
        ? `この期間に削除・廃棄した特定個人情報はありません（${NONE}）。`
        : `下記のとおり、保存期間を経過した特定個人情報（個人番号）を、復元できない方法により削除・廃棄したことを証明します。個人番号そのものは記録していません。`,
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
  return model('disposal', ctx, period.label, [certificate, list, who2]);
}
