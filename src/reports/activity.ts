import type { ReportEventRow } from '../storage/report-repo.js';
import { formatTime } from '../web/view-models.js';
import { actionLabel, detailOf, identityMethodLabel, num, personsCell, purposeLabel, subjectsOf, type Detail } from './labels.js';
import { PROVISION_CHANNEL_LABEL, PROVISION_DESTINATION_LABEL, type ProvisionChannel, type ProvisionDestination } from '../domain/provision.js';
import { provisionRemark } from './provision-labels.js';
import { cardReadFailureLabel } from '../domain/card-read-failures.js';
import { FILING_KIND_LABEL } from '../domain/filing-record.js';
import type { HandoverRow } from '../storage/filing-records-repo.js';
import { HANDOVER_COLUMNS, handoverCells } from './filings.js';

const filingKindLabel = (k: unknown): string => (typeof k === 'string' ? (FILING_KIND_LABEL[k as keyof typeof FILING_KIND_LABEL] ?? k) : '');
const filingDestination = (d: Detail): string =>
  [PROVISION_DESTINATION_LABEL[d.destination as ProvisionDestination] ?? String(d.destination ?? ''), typeof d.destination_name === 'string' ? d.destination_name : ''].filter(Boolean).join(' ');

/** 「申告書ファイル #3（給与所得の源泉徴収票 2026年分）: 税務署 麹町税務署へ e-Tax（2027-01-20、受付番号 …）」 */
function filingSubmissionRemark(d: Detail): string {
  const by = PROVISION_CHANNEL_LABEL[d.channel as ProvisionChannel] ?? String(d.channel ?? '');
  const receipt = typeof d.receipt_no === 'string' ? `、受付番号 ${d.receipt_no}` : '';
  return `申告書ファイル #${String(d.handover_id ?? '')}（${filingKindLabel(d.kind)}）: ${filingDestination(d)}へ ${by}（${String(d.submitted_on ?? '')}${receipt}）`;
}

/** An export whose file has not been confirmed deleted when the report is printed. */
export interface OpenCarryOut {
  seq: number;
  at: string;
  actorName: string;
  persons: number;
}
import { model, NONE, section, tally, type ReportContext, type ReportModel } from './model.js';
import type { Period } from './period.js';

/**
 * What 取扱状況記録 covers (docs/legal-sources.md, 安全管理措置): use and output,
 * intake, identity checks, disposal, sign-in, refusals at the appliance, copies
 * of the whole file (backups, restores and their drills), key changes, and where
 * exports went and when their files were deleted (提供・持出し).
 */
export const ACTIVITY_ACTIONS = [
  'number.revealed',
  'numbers.exported',
  // A filing file filled with numbers and handed over (docs/filing-season.md): a use and an output.
  'filing.merged',
  'number.recorded',
  'number.refused',
  'intake.self_submitted',
  'intake.self_rejected',
  'persons.imported',
  'identity.checked',
  'number.disposed',
  'auth.signed_in',
  'auth.sign_in_failed',
  'auth.locked',
  // At the appliance: a wrong PIN on the pad, a lock, a refused approval or key.
  'slot.unlock_failed',
  'gate.pin_locked',
  'gate.pin_refused',
  'gate.key_refused',
  // At the appliance's card reader: a failed reading of a 個人番号カード (docs/mynumber-card.md).
  'card.read_failed',
  // Copies of the whole file and the keys that protect it.
  'backup.created',
  'backup.failed',
  'backup.restored',
  'restore.drill',
  'vault.key_rotation_started',
  'vault.key_rotated',
  'vault.rekeyed',
  // Where an export went (提供・提出) and the exported file deleted (持出しの終了).
  'export.provided',
  'export.file_deleted',
  // The same for a merged filing file (docs/filing-season.md): its submission and the deletion of its local copy.
  'filing.submitted',
  'filing.file_deleted',
  // A correction (訂正) of a filing's submission record; the first record stays (migration 255).
  'filing.submission_corrected',
] as const;

const CATEGORY: Record<string, string> = {
  'number.revealed': '利用・出力',
  'numbers.exported': '利用・出力',
  'filing.merged': '利用・出力',
  'number.recorded': '取得',
  'number.refused': '取得',
  'intake.self_submitted': '取得',
  'intake.self_rejected': '取得',
  'persons.imported': '取得',
  'identity.checked': '本人確認',
  'number.disposed': '削除・廃棄',
  'auth.signed_in': 'システムの利用',
  'auth.sign_in_failed': 'システムの利用',
  'auth.locked': 'システムの利用',
  'slot.unlock_failed': '装置での承認の失敗',
  'gate.pin_locked': '装置での承認の失敗',
  'gate.pin_refused': '装置での承認の失敗',
  'gate.key_refused': '装置での承認の失敗',
  'card.read_failed': 'カード読み取りの失敗',
  'backup.created': 'ファイルの複製',
  'backup.failed': 'ファイルの複製',
  'backup.restored': 'ファイルの複製',
  'restore.drill': 'ファイルの複製',
  'vault.key_rotation_started': '鍵の管理',
  'vault.key_rotated': '鍵の管理',
  'vault.rekeyed': '鍵の管理',
  'export.provided': '提供・提出',
  'export.file_deleted': '持出し',
  'filing.submitted': '提供・提出',
  'filing.file_deleted': '持出し',
  'filing.submission_corrected': '提供・提出',
};

const FAILURE_REASON: Record<string, string> = { wrong_password: 'パスワード誤り', unknown_user: '未登録のユーザー名', disabled: '無効な利用者', locked: 'ロック中' };

function remark(r: ReportEventRow, d: Detail): string {
  const where = [r.device, r.client].filter(Boolean).join(' ');
  switch (r.action) {
    case 'number.revealed':
      return `${where}${d.request_id ? `（申請 #${String(d.request_id)}）` : ''}`;
    case 'numbers.exported':
      return `${where}（${num(Number(d.persons ?? 0))} 名）`;
    case 'filing.merged':
      return `${filingKindLabel(d.kind)}${d.year === null || d.year === undefined ? '' : ` ${String(d.year)}年分`}（${num(Number(d.rows ?? 0))} 行・${num(Number(d.persons ?? 0))} 名、申請 #${String(d.request_id ?? '')}、暗号化ZIP）`;
    case 'number.recorded':
      return `${d.by === 'handler' ? '担当者が入力' : String(d.by ?? '')} ${where}`.trim();
    case 'intake.self_submitted':
      return `本人入力 ${num(Number(d.numbers ?? 0))} 件 ${where}`.trim();
    case 'persons.imported':
      return `CSV ${num(Number(d.imported ?? 0))} 名（未提供 ${num(Number(d.not_provided ?? 0))}）`;
    case 'identity.checked':
      return identityMethodLabel(d.method);
    case 'number.disposed':
      return [d.disposal_id ? `廃棄 #${String(d.disposal_id)}` : '', typeof d.reason === 'string' ? d.reason : ''].filter(Boolean).join(' ');
    case 'auth.sign_in_failed':
      return `${FAILURE_REASON[String(d.reason)] ?? String(d.reason ?? '')} ${where}`.trim();
    case 'slot.unlock_failed':
      return `${where}${typeof d.failures === 'number' ? ` 連続 ${d.failures} 回目` : ''}`.trim();
    case 'gate.key_refused':
    case 'gate.pin_refused':
      return `${where} ${String(d.reason ?? '')}`.trim();
    case 'card.read_failed':
      return [where, cardReadFailureLabel(d.reason), typeof d.tries_left === 'number' ? `残り ${d.tries_left} 回` : ''].filter(Boolean).join(' ');
    case 'backup.created':
      return `${String(d.folder ?? '')}/${String(d.file ?? '')}（全体の暗号化複製）`;
    case 'backup.failed':
      return String(d.reason ?? '');
    case 'backup.restored':
      return `${String(d.file ?? '')}（${String(d.backup_created_at ?? '')} の複製）`;
    case 'restore.drill':
      return d.result === 'opened' ? '復元後に番号1件を開けて確認' : '番号なし';
    case 'export.provided':
      return provisionRemark(d);
    case 'export.file_deleted':
      return `出力 seq ${String(d.export_seq ?? '')} のファイルを削除済と確認`;
    case 'filing.submitted':
      return filingSubmissionRemark(d);
    case 'filing.file_deleted':
      return `申告書ファイル #${String(d.handover_id ?? '')}（${filingKindLabel(d.kind)}）のファイルを削除済と確認`;
    case 'filing.submission_corrected':
      return `申告書ファイル #${String(d.handover_id ?? '')}（${filingKindLabel(d.kind)}）の提出の記録を訂正: ${String(d.before_destination_name ?? '')} ${String(d.before_submitted_on ?? '')} ${String(d.before_receipt_no ?? '')} → ${String(d.destination_name ?? '')} ${String(d.submitted_on ?? '')} ${String(d.receipt_no ?? '')}（理由: ${String(d.reason ?? '')}）`;
    default:
      return where;
  }
}

/** Purposes of an event: the purpose column, or the purposes notified at intake (detail.purposes). */
function purposesOf(r: ReportEventRow, d: Detail): string[] {
  if (r.purpose) return [r.purpose];
  return typeof d.purposes === 'string' ? d.purposes.split(',').filter(Boolean) : [];
}

/**
 * 特定個人情報等取扱状況記録 for a period: a summary of counts by action, purpose
 * and handler, every event in seq order, and each export's persons in full.
 * Pure: the events come in (already bounded by the printed head).
 */
export function buildActivityReport(
  ctx: ReportContext,
  period: Period,
  events: Iterable<ReportEventRow>,
  openCarryOuts: readonly OpenCarryOut[] = [],
  openHandovers: readonly HandoverRow[] = [],
): ReportModel {
  const rows: string[][] = [];
  const provisions: string[][] = [];
  const filings: string[][] = [];
  const exports: string[][] = [];
  const actions: string[] = [];
  const purposes: string[] = [];
  const handlers: string[] = [];
  const leftVault = new Set<number>();
  for (const r of events) {
    const d = detailOf(r);
    const subjects = subjectsOf(r);
    const ps = purposesOf(r, d);
    actions.push(`${CATEGORY[r.action] ?? ''}｜${actionLabel(r.action)}`);
    for (const p of ps) purposes.push(purposeLabel(p));
    if (r.action !== 'auth.sign_in_failed' || r.actorId !== 'anonymous') handlers.push(r.actorName);
    if (r.action === 'number.revealed' || r.action === 'numbers.exported' || r.action === 'filing.merged') for (const s of subjects) leftVault.add(s.id);
    rows.push([String(r.seq), formatTime(r.at), CATEGORY[r.action] ?? '', actionLabel(r.action), r.actorName, ps.map(purposeLabel).join('、'), personsCell(subjects), remark(r, d)]);
    if (r.action === 'export.provided') {
      provisions.push([
        String(r.seq),
        String(d.provided_on ?? ''),
        PROVISION_DESTINATION_LABEL[d.destination as ProvisionDestination] ?? String(d.destination ?? ''),
        PROVISION_CHANNEL_LABEL[d.channel as ProvisionChannel] ?? String(d.channel ?? ''),
        `seq ${String(d.export_seq ?? '')}`,
        `${num(subjects.length)} 名`,
        subjects.map((s) => s.name).join('、'),
      ]);
    }
    if (r.action === 'filing.submitted') {
      filings.push([
        String(r.seq),
        String(d.submitted_on ?? ''),
        filingKindLabel(d.kind),
        d.year === null || d.year === undefined ? '—' : `${String(d.year)}年分`,
        filingDestination(d),
        PROVISION_CHANNEL_LABEL[d.channel as ProvisionChannel] ?? String(d.channel ?? ''),
        String(d.receipt_no ?? ''),
        `${num(subjects.length)} 名`,
        subjects.map((s) => s.name).join('、'),
      ]);
    }
    if (r.action === 'numbers.exported' || r.action === 'filing.merged')
      exports.push([String(r.seq), formatTime(r.at), r.actorName, `${num(subjects.length)} 名`, subjects.map((s) => s.name).join('、')]);
  }
  const summary = section('1. 概要（件数）', {
    facts: [
      ['記録の件数', `${num(rows.length)} 件`],
      ['番号を表示・出力した実人数', `${num(leftVault.size)} 名`],
    ],
    tables: [
      { caption: '操作別', columns: ['区分｜操作', '件数'], rows: tally(actions), empty: NONE, variant: 'counts' },
      { caption: '利用目的別（利用・出力・取得）', columns: ['利用目的', '件数'], rows: tally(purposes), empty: NONE, variant: 'counts' },
      { caption: '担当者別', columns: ['担当者', '件数'], rows: tally(handlers), empty: NONE, variant: 'counts' },
    ],
  });
  const detail = section('2. 取扱いの記録（時系列）', {
    paragraphs: ['個人番号そのものは記録していません。対象者は氏名（記録時点）で示します。'],
    tables: [{ columns: ['seq', '日時', '区分', '操作', '担当者', '利用目的', '対象者', '端末・装置・備考'], rows, empty: NONE, variant: 'activity' }],
  });
  const appendix = section('3. 出力（CSV）の対象者', {
    tables: [{ columns: ['seq', '日時', '担当者', '人数', '対象者（氏名）'], rows: exports, empty: NONE, variant: 'exports' }],
  });
  const provided = section('4. 提供・提出の記録', {
    paragraphs: ['出力したファイルを渡した先（行政機関・委託先）、方法と提出日。番号法19条の提供にあたります。'],
    tables: [{ columns: ['seq', '提出日', '提供・提出先', '方法', '出力', '人数', '対象者（氏名）'], rows: provisions, empty: NONE, variant: 'provisions' }],
  });
  const carryOuts = section('5. 持出し中の出力ファイル（削除の確認がないもの）', {
    paragraphs: ['出力したCSVファイルは管理区域の外への持出しです。担当者がファイルの削除を確認するまでここに残ります（この帳票の印刷時点）。'],
    tables: [
      {
        columns: ['出力 seq', '出力日時', '担当者', '人数'],
        rows: openCarryOuts.map((c) => [String(c.seq), formatTime(c.at), c.actorName, `${num(c.persons)} 名`]),
        empty: NONE,
        variant: 'carry-outs',
      },
    ],
  });
  const filed = section('6. 申告書ファイルの提出の記録', {
    paragraphs: ['装置で番号を入れた申告書ファイル（源泉徴収票・給与支払報告書・支払調書など）を提出した先、方法、提出日と受付番号。'],
    tables: [{ columns: ['seq', '提出日', '書類', '年分', '提出先', '方法', '受付番号', '人数', '対象者（氏名）'], rows: filings, empty: NONE, variant: 'provisions' }],
  });
  const handoversOut = section('7. 持出し中の申告書ファイル（提出または削除の確認がないもの）', {
    paragraphs: ['番号を入れた申告書ファイルは、提出と手元のファイルの削除が記録されるまでここに残ります（この帳票の印刷時点）。'],
    tables: [{ columns: HANDOVER_COLUMNS, rows: openHandovers.map(handoverCells), empty: NONE, variant: 'filings' }],
  });
  return model('activity', ctx, period.label, [summary, detail, appendix, provided, carryOuts, filed, handoversOut]);
}
