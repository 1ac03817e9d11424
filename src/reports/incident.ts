import type { ReportEventRow } from '../storage/report-repo.js';
import { formatDate, formatTime } from '../web/view-models.js';
import { actionLabel, num, purposeLabel, subjectsOf } from './labels.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';
import type { Period } from './period.js';

/** The events by which a number leaves the vault. */
export const LEFT_VAULT_ACTIONS = ['number.revealed', 'numbers.exported'] as const;

/** 規則2条4号: more than this many persons must be reported even without a suspected improper purpose. */
export const PERSONS_THRESHOLD = 100;

export interface IncidentFilter {
  actorId?: string | undefined;
  /** A device (PIN pad, key) or client address, matched exactly. */
  device?: string | undefined;
  /** 不正の目的 suspected (規則2条2号): one person is enough. */
  improper: boolean;
  /** The day the company learned of it (YYYY-MM-DD), from which the deadlines run. */
  knownOn: string;
}

export interface IncidentLine {
  seq: number;
  at: string;
  personId: number;
  name: string;
  event: string;
  actor: string;
  purpose: string;
  device: string;
}

export interface IncidentFacts {
  lines: IncidentLine[];
  events: number;
  persons: { id: number; name: string; times: number }[];
  /** Whether a report to the PPC is required, and why (in Japanese). */
  required: boolean;
  reason: string;
  deadlines: { flash: string; final: string; finalDays: number };
}

const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Counts the persons whose number left the vault against the thresholds of 番号法29条の4 and its 規則 (docs/legal-sources.md, 漏えい等報告). */
export function incidentFacts(events: Iterable<ReportEventRow>, f: IncidentFilter): IncidentFacts {
  const lines: IncidentLine[] = [];
  const persons = new Map<number, { id: number; name: string; times: number }>();
  let count = 0;
  for (const r of events) {
    if (f.actorId && r.actorId !== f.actorId) continue;
    const where = r.device ?? r.client ?? '';
    if (f.device && r.device !== f.device && r.client !== f.device) continue;
    count++;
    for (const s of subjectsOf(r)) {
      const p = persons.get(s.id) ?? { id: s.id, name: s.name, times: 0 };
      p.times++;
      persons.set(s.id, p);
      lines.push({ seq: r.seq, at: formatTime(r.at), personId: s.id, name: s.name, event: actionLabel(r.action), actor: r.actorName, purpose: purposeLabel(r.purpose), device: where });
    }
  }
  const n = persons.size;
  const required = f.improper ? n >= 1 : n > PERSONS_THRESHOLD;
  const reason = f.improper
    ? n >= 1
      ? `不正の目的が疑われ、対象者が ${num(n)} 名（1名以上）のため、個人情報保護委員会への報告と本人への通知が必要です（番号法29条の4、規則2条2号）。`
      : '不正の目的が疑われますが、この条件で番号が外に出た人物はいません。'
    : n > PERSONS_THRESHOLD
      ? `対象者が ${num(n)} 名で ${PERSONS_THRESHOLD} 名を超えるため、漏えい等であれば報告と本人への通知が必要です（規則2条4号）。`
      : `対象者は ${num(n)} 名で ${PERSONS_THRESHOLD} 名以下です。不正の目的の疑いがなければ人数による報告義務はありません（不正の目的・不特定多数の閲覧のおそれがあれば1名でも報告が必要です）。`;
  const finalDays = f.improper ? 60 : 30;
  return {
    lines,
    events: count,
    persons: [...persons.values()],
    required,
    reason,
    deadlines: { flash: addDays(f.knownOn, 5), final: addDays(f.knownOn, finalDays), finalDays },
  };
}

/** A printable draft of the facts a 速報 needs: no numbers, only who, when, how and how many. */
export function buildIncidentReport(ctx: ReportContext, period: Period, f: IncidentFilter, facts: IncidentFacts, filterLabel: string): ReportModel {
  const fill = '（記入してください）';
  const summary = section('1. 判定', {
    paragraphs: [facts.reason],
    facts: [
      ['対象期間', period.label],
      ['絞り込み', filterLabel || 'なし'],
      ['不正の目的の疑い', f.improper ? 'あり' : 'なし'],
      ['番号が外に出た出来事（表示・出力）', `${num(facts.events)} 件`],
      ['本人の数（実人数）', `${num(facts.persons.length)} 名`],
      ['報告の要否', facts.required ? '報告が必要' : '人数・目的の条件には該当しない'],
      ['事態を知った日', formatDate(f.knownOn)],
      ['速報の期限（目安: 知った日からおおむね3〜5日以内）', formatDate(facts.deadlines.flash)],
      [`確報の期限（${facts.deadlines.finalDays}日以内）`, formatDate(facts.deadlines.final)],
    ],
  });
  const draft = section('2. 速報に記載する事項（案）', {
    facts: [
      ['概要', `${period.label}に、監査記録上 ${num(facts.events)} 件の個人番号の表示・出力があり、${num(facts.persons.length)} 名の個人番号が装置の外に出ました。`],
      ['漏えい等が発生し、又は発生したおそれがある特定個人情報の項目', '個人番号、氏名（個人番号そのものはこの書面に記載しません）'],
      ['本人の数', `${num(facts.persons.length)} 名`],
      ['原因', fill],
      ['二次被害又はそのおそれの有無及びその内容', fill],
      ['本人への対応の実施状況', `${fill}（番号の変更を市区町村に請求できることを本人に伝える）`],
      ['公表の実施状況', fill],
      ['再発防止のための措置', fill],
      ['その他参考となる事項', fill],
    ],
  });
  const persons = section('3. 対象者', {
    tables: [{ columns: ['氏名', '回数'], rows: facts.persons.map((p) => [p.name, `${num(p.times)} 回`]), empty: NONE, variant: 'counts' }],
  });
  const how = section('4. 番号が外に出た経緯（監査記録）', {
    tables: [{ columns: ['seq', '日時', '氏名', '出来事', '操作者', '利用目的', '装置・端末'], rows: facts.lines.map((l) => [String(l.seq), l.at, l.name, l.event, l.actor, l.purpose, l.device]), empty: NONE, variant: 'incident' }],
  });
  return model('incident', ctx, period.label, [summary, draft, persons, how]);
}
