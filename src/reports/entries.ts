import type { EntryLogLine } from '../web/entry-log.js';
import { num } from './labels.js';
import { model, NONE, section, tally, type ReportContext, type ReportModel } from './model.js';
import type { Period } from './period.js';

/**
 * 入退室記録 for a period: approvals at the appliance (entries into the 管理区域)
 * with their purposes, refusals at the appliance (wrong PIN, lock, refused
 * key), door events, alarms and how each was acknowledged.
 * The lines come from the same conversion as the /entries page, oldest first.
 */
export function buildEntriesReport(ctx: ReportContext, period: Period, lines: readonly EntryLogLine[]): ReportModel {
  const approvals = lines.filter((l) => l.kind !== '');
  const refusals = lines.filter((l) => l.refusal);
  const alarms = lines.filter((l) => l.alarm);
  const unacknowledged = alarms.filter((l) => l.acknowledgement === '未確認');
  const summary = section('1. 概要（件数）', {
    facts: [
      ['承認（入室）', `${num(approvals.length)} 件`],
      ['装置での承認の失敗・拒否', `${num(refusals.length)} 件`],
      ['扉の出来事', `${num(lines.length - approvals.length - refusals.length)} 件`],
      ['警報', `${num(alarms.length)} 件（うち未確認 ${num(unacknowledged.length)} 件）`],
    ],
    tables: [
      { caption: '承認の種別', columns: ['種別', '件数'], rows: tally(approvals.map((l) => l.kind)), empty: NONE, variant: 'counts' },
      { caption: '入室の目的', columns: ['目的', '件数'], rows: tally(approvals.map((l) => l.purpose)), empty: NONE, variant: 'counts' },
      { caption: '担当者別の承認', columns: ['担当者', '件数'], rows: tally(approvals.map((l) => l.who)), empty: NONE, variant: 'counts' },
    ],
  });
  const rows = lines.map((l) => [String(l.seq), l.at, l.event, l.who, l.kind, l.purpose, l.persons, [l.device, l.method].filter(Boolean).join(' '), [l.remark, l.acknowledgement].filter(Boolean).join(' ')]);
  const detail = section('2. 記録（時系列）', {
    paragraphs: ['管理区域の装置での承認（PIN・セキュリティキー）は入室として記録されます。個人番号は記録していません。'],
    tables: [{ columns: ['seq', '日時', '出来事', '担当者', '種別', '目的', '人数', '装置・方法', 'メモ・警報の確認'], rows, empty: NONE, variant: 'entries' }],
  });
  return model('entries', ctx, period.label, [summary, detail]);
}
