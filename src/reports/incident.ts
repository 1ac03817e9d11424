import type { ReportEventRow } from '../storage/report-repo.js';
import { formatDate, formatTime } from '../web/view-models.js';
import { actionLabel, num, purposeLabel, subjectsOf } from './labels.js';
import {
  decideReport,
  ENTRUSTMENT_LABEL,
  INCIDENT_CATEGORY_LABEL,
  KEY_EXPOSURE_LABEL,
  LEAK_SOURCE_LABEL,
  type Entrustment,
  type IncidentCategory,
  type KeyExposure,
  type LeakSource,
  type ReportState,
} from '../domain/incident.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';
import type { Period } from './period.js';

/** The events by which a number leaves the vault. */
export const LEFT_VAULT_ACTIONS = ['number.revealed', 'numbers.exported', 'filing.merged'] as const;

export interface IncidentFilter {
  actorId?: string | undefined;
  /** A device (PIN pad, key) or client address, matched exactly. */
  device?: string | undefined;
  /** 不正の目的 suspected (規則2条2号): one person is enough. */
  improper: boolean;
  /** The day the company learned of it (YYYY-MM-DD), from which the deadlines run. */
  knownOn: string;
  /** What leaked; 'reveal' counts the trail's reveals and exports. */
  source?: LeakSource | undefined;
  /** For the vault file or a backup: whether the key went too. */
  key?: KeyExposure | undefined;
  /** 不特定多数の者に閲覧され(るおそれ) (規則2条3号): one person is enough. */
  publicView?: boolean | undefined;
  /** For an export file: the export's audit seq. */
  exportSeq?: number | undefined;
  /** For paper: the number of persons on it, when known. */
  paperPersons?: number | undefined;
  /** The PPC form's header fields as the reporter entered them. */
  header?: IncidentHeader | undefined;
}

export interface IncidentHeader {
  reporter?: string | undefined;
  corporateNumber?: string | undefined;
  occurred?: string | undefined;
  category?: IncidentCategory | undefined;
  entrusted?: Entrustment | undefined;
}

/** Persons an encrypted file or an export holds, read by the caller (the route or the printer). */
export interface IncidentSources {
  /** Persons with a held number (in the vault file, and so in its backups). */
  held: () => { id: number; name: string }[];
  /** An export's persons, or undefined when there is no such export. */
  exportPersons: (seq: number) => { id: number; name: string }[] | undefined;
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
  source: LeakSource;
  lines: IncidentLine[];
  events: number;
  persons: { id: number; name: string; times: number }[];
  /** The number of persons, or null when unknown (paper without a count, an unknown source). */
  personCount: number | null;
  /** Whether a report to the PPC is required; 'undetermined' when a fact is missing. */
  state: ReportState;
  required: boolean;
  reason: string;
  deadlines: { flash: string; final: string; finalDays: number };
}

const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The persons concerned and the report decision (domain/incident.ts; 番号法29条の4 and its 規則,
 * docs/legal-sources.md, 漏えい等報告): from the
 * trail's reveals and exports, the vault's held numbers (the file or a backup,
 * unless the key is safe), one export's persons, or a count of paper.
 */
export function incidentFacts(events: Iterable<ReportEventRow>, f: IncidentFilter, sources?: IncidentSources): IncidentFacts {
  const source = f.source ?? 'reveal';
  const lines: IncidentLine[] = [];
  const persons = new Map<number, { id: number; name: string; times: number }>();
  let count = 0;
  let personCount: number | null = null;
  if (source === 'reveal') {
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
    personCount = persons.size;
  } else {
    // The trail is not read for other sources: close the statement behind the iterator.
    events[Symbol.iterator]().return?.();
    if ((source === 'vault_file' || source === 'backup') && sources && f.key !== 'no') {
      for (const p of sources.held()) persons.set(p.id, { ...p, times: 1 });
      personCount = persons.size;
    } else if (source === 'vault_file' || source === 'backup') {
      personCount = sources ? 0 : null;
    } else if (source === 'export_file') {
      const list = f.exportSeq === undefined ? undefined : sources?.exportPersons(f.exportSeq);
      if (list) for (const p of list) persons.set(p.id, { ...p, times: 1 });
      personCount = list ? persons.size : null;
    } else if (source === 'paper') {
      personCount = f.paperPersons ?? null;
    }
  }
  const decision = decideReport({ source, key: f.key ?? 'unknown', improper: f.improper, publicView: f.publicView ?? false, persons: personCount });
  const finalDays = f.improper ? 60 : 30;
  return {
    source,
    lines,
    events: count,
    persons: [...persons.values()],
    personCount,
    state: decision.state,
    required: decision.state === 'required',
    reason: decision.reason,
    deadlines: { flash: addDays(f.knownOn, 5), final: addDays(f.knownOn, finalDays), finalDays },
  };
}

const STATE_LABEL: Record<ReportState, string> = {
  required: '報告が必要',
  not_required: '報告の基準には該当しない（理由を参照）',
  undetermined: '判定できない（事実の確認が必要。報告不要とはしない）',
};

/**
 * A printable draft of the PPC form (速報) and of the notice to the persons:
 * the header fields, the decision with its reason, the items of the report,
 * who is concerned and how. No numbers: only who, when, how and how many.
 */
export function buildIncidentReport(ctx: ReportContext, period: Period, f: IncidentFilter, facts: IncidentFacts, filterLabel: string): ReportModel {
  const fill = '（記入してください）';
  const h = f.header ?? {};
  const count = facts.personCount === null ? '不明（確認中）' : `${num(facts.personCount)} 名`;
  const encrypted = facts.source === 'vault_file' || facts.source === 'backup';
  const header = section('1. 報告者と事態（報告書の冒頭の項目）', {
    facts: [
      ['報告者（事業者の名称）', ctx.company],
      ['報告者（担当者）', h.reporter || fill],
      ['法人番号', h.corporateNumber || fill],
      ['発生日時', h.occurred || `${fill}（不明なら「不明」）`],
      ['発覚日時（事態を知った日）', formatDate(f.knownOn)],
      ['事態の区分', h.category ? INCIDENT_CATEGORY_LABEL[h.category] : fill],
      ['委託関係', h.entrusted ? ENTRUSTMENT_LABEL[h.entrusted] : fill],
    ],
  });
  const summary = section('2. 判定', {
    paragraphs: [facts.reason],
    facts: [
      ['漏えい等したもの', LEAK_SOURCE_LABEL[facts.source]],
      ...(encrypted ? [['暗号化の鍵', KEY_EXPOSURE_LABEL[f.key ?? 'unknown']] as [string, string]] : []),
      ['対象期間', period.label],
      ['絞り込み', filterLabel || 'なし'],
      ['不正の目的の疑い', f.improper ? 'あり' : 'なし'],
      ['不特定多数の者による閲覧（のおそれ）', f.publicView ? 'あり' : 'なし'],
      ['番号が外に出た出来事（表示・出力）', facts.source === 'reveal' ? `${num(facts.events)} 件` : '—'],
      ['本人の数（実人数）', count],
      ['報告の要否', STATE_LABEL[facts.state]],
      ['速報の期限（目安: 知った日からおおむね3〜5日以内）', formatDate(facts.deadlines.flash)],
      [`確報の期限（${facts.deadlines.finalDays}日以内）`, formatDate(facts.deadlines.final)],
    ],
  });
  const what =
    facts.source === 'reveal'
      ? `${period.label}に、監査記録上 ${num(facts.events)} 件の個人番号の表示・出力があり、${count}の個人番号が装置の外に出ました。`
      : `${LEAK_SOURCE_LABEL[facts.source]}が漏えい等しました（又はそのおそれ）。本人の数は ${count}です。`;
  const draft = section('3. 速報に記載する事項（案）', {
    facts: [
      ['概要', what],
      ['漏えい等が発生し、又は発生したおそれがある特定個人情報の項目', '個人番号、氏名（個人番号そのものはこの書面に記載しません）'],
      ['本人の数', count],
      ['原因', fill],
      ['二次被害又はそのおそれの有無及びその内容', fill],
      ['本人への対応の実施状況', `${fill}（番号の変更を市区町村に請求できることを本人に伝える）`],
      ['公表の実施状況', fill],
      ['再発防止のための措置', fill],
      ['その他参考となる事項', fill],
    ],
  });
  const notice = section('4. 本人への通知（案）', {
    paragraphs: [
      '〔氏名〕様',
      `${ctx.company}が保有するあなたの個人番号を含む特定個人情報について、${h.occurred ? `${h.occurred}に` : ''}${h.category ? INCIDENT_CATEGORY_LABEL[h.category] : '漏えい等'}の事態が生じました（当社がこれを知った日: ${formatDate(f.knownOn)}）。ご迷惑とご心配をおかけし、深くお詫び申し上げます。`,
      `対象となった情報: 個人番号、氏名。原因: ${fill}。二次被害又はそのおそれ: ${fill}。`,
      '個人番号が不正に用いられるおそれがあると認められるときは、お住まいの市区町村に個人番号の変更を請求できます（番号法7条2項）。',
      `お問い合わせ先: ${fill}`,
    ],
  });
  const persons = section('5. 対象者', {
    tables: [{ columns: ['氏名', '回数'], rows: facts.persons.map((p) => [p.name, `${num(p.times)} 回`]), empty: facts.personCount === null ? '不明（確認中）' : NONE, variant: 'counts' }],
  });
  const how = section('6. 番号が外に出た経緯（監査記録）', {
    tables: [
      {
        columns: ['seq', '日時', '氏名', '出来事', '操作者', '利用目的', '装置・端末'],
        rows: facts.lines.map((l) => [String(l.seq), l.at, l.name, l.event, l.actor, l.purpose, l.device]),
        empty: NONE,
        variant: 'incident',
      },
    ],
  });
  return model('incident', ctx, period.label, [header, summary, draft, notice, persons, how]);
}
