import { PURPOSES } from '../domain/purposes.js';
import { NUMBER_STATE_LABEL, PERSON_KIND_LABEL, PERSON_STATUS_LABEL, type NumberState, type PersonKind, type PersonStatus } from '../domain/persons.js';
import { ROLE_LABEL } from '../services/accounts.js';
import type { Role } from '../storage/users-repo.js';
import { formatDate, formatTime } from '../web/view-models.js';
import { num } from './labels.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';

/** The facts the ledger is built from, gathered by the loader. */
export interface RegisterData {
  counts: { kind: string; status: string; state: string | null; n: number }[];
  identityChecks: number;
  auditEvents: number;
  vaultFile: string;
  backupFolder: string | null;
  users: { name: string; login: string; role: Role; active: boolean; pin: boolean; keys: number }[];
  /** The retention rules (保存期間) when the lifecycle tables exist. */
  rules: { document: string; years: number; start: string }[] | null;
  /** Persons whose relationship has ended and who still have a number record: the date it ended. */
  ended: { endedOn: string | null; state: string }[];
  disposals: { count: number; lastAt: string | null };
  /** Today in Japan time, YYYY-MM-DD. */
  today: string;
}

const START_LABEL: Record<string, string> = {
  event_date: '完結の日（退職日・異動日など）の翌日から',
  after_jan10_next_year: '提出期限の属する年の翌年1月10日の翌日から',
  after_jan31_next_year: '翌年1月31日の翌日から',
};

/** The longest default rule (扶養控除等申告書: 7 years from January 11 of the year after the end): the estimate the register shows. */
export function estimateEnd(endedOn: string): string {
  return `${Number(endedOn.slice(0, 4)) + 8}-01-10`;
}

/**
 * 特定個人情報ファイル管理台帳 (docs/legal-sources.md, 安全管理措置): which files and records are
 * held, for which purposes, who may access them, retention and disposal state.
 */
export function buildRegisterReport(ctx: ReportContext, d: RegisterData): ReportModel {
  const label = (map: Record<string, string>, k: string | null) => (k === null ? '番号の記録なし' : (map[k] ?? k));
  const byState = new Map<string, number>();
  for (const c of d.counts) byState.set(c.state ?? 'none', (byState.get(c.state ?? 'none') ?? 0) + c.n);
  const persons = d.counts.reduce((a, c) => a + c.n, 0);
  const files = section('1. 保有する特定個人情報ファイル・記録', {
    tables: [
      {
        columns: ['ファイル・記録', '内容', '件数', '保管場所・方法'],
        rows: [
          ['人物台帳（特定個人情報ファイル）', '氏名・フリガナ・社員番号・生年月日・続柄・個人番号（封緘）', `${num(persons)} 名`, `${d.vaultFile}（AEGIS-256 で暗号化したデータベース）`],
          ['個人番号（封緘データ）', '登録済の個人番号（人物ごとに封緘）', `${num(byState.get('held') ?? 0)} 件`, '同上。装置での本人確認の後にだけ開封'],
          ['未提供の記録', '未提供理由', `${num(byState.get('not_provided') ?? 0)} 件`, '同上'],
          ['本人確認の記録', '確認書類の種類・確認日・確認者（書類の写しは保管しない）', `${num(d.identityChecks)} 件`, '同上'],
          ['監査記録（取扱状況の記録）', '操作の日時・担当者・対象者・目的（番号は含まない）', `${num(d.auditEvents)} 件`, '同上。HMAC による連鎖で改ざんを検出'],
          ['バックアップ', '暗号化したデータベースの複製', '—', d.backupFolder ?? '未設定'],
        ],
        empty: NONE,
        variant: 'ledger',
      },
      {
        caption: '人物の内訳（種別・状態・番号の状態）',
        columns: ['種別', '状態', '番号の状態', '人数'],
        rows: d.counts.map((c) => [label(PERSON_KIND_LABEL as Record<PersonKind, string>, c.kind), label(PERSON_STATUS_LABEL as Record<PersonStatus, string>, c.status), label(NUMBER_STATE_LABEL as Record<NumberState, string>, c.state), `${num(c.n)} 名`]),
        empty: NONE,
        variant: 'counts',
      },
    ],
  });
  const purposes = section('2. 利用目的（個人番号関係事務）', {
    tables: [
      {
        columns: ['事務', '書類', '提出先', '対象'],
        rows: PURPOSES.map((p) => [p.name, p.forms, p.submittedTo, p.appliesTo.map((k) => PERSON_KIND_LABEL[k]).join('・')]),
        empty: NONE,
        variant: 'purposes',
      },
    ],
  });
  const access = section('3. 取扱者とアクセス権', {
    paragraphs: [
      '事務取扱担当者と事務取扱責任者は、管理区域の装置で自分のPINまたはセキュリティキーによる承認を受けたときだけ番号を表示・出力できます。監査担当は記録の閲覧と印刷のみで、番号は見られません。',
    ],
    tables: [
      {
        columns: ['氏名', 'ユーザー名', '役割', '状態', 'PIN', 'セキュリティキー'],
        rows: d.users.map((u) => [u.name, u.login, ROLE_LABEL[u.role], u.active ? '有効' : '無効', u.role === 'auditor' ? '—' : u.pin ? '設定済' : '未設定', u.role === 'auditor' ? '—' : `${u.keys} 本`]),
        empty: NONE,
        variant: 'users',
      },
    ],
  });
  const due = d.ended.filter((e) => e.state === 'held' && e.endedOn && estimateEnd(e.endedOn) < d.today).length;
  const running = d.ended.filter((e) => e.state === 'held').length;
  const retention = section('4. 保存期間', {
    paragraphs: [
      '個人番号は、事務に必要な間と、番号を記載した書類の法定保存期間が過ぎるまで保管し、その後できるだけ速やかに（原則として事業年度末にまとめて）削除・廃棄します。在職中・扶養中・取引中の人物は起算前です。',
    ],
    facts: [
      ['関係が終了し、番号を保管中の人物', `${num(running)} 名`],
      ['うち、目安の保存期間（扶養控除等申告書: 7年）を過ぎた人物', `${num(due)} 名`],
    ],
    tables: d.rules
      ? [{ caption: '保存期間の規則', columns: ['書類', '期間', '起算'], rows: d.rules.map((r) => [r.document, `${r.years} 年`, START_LABEL[r.start] ?? r.start]), empty: NONE, variant: 'rules' }]
      : [],
  });
  const disposal = section('5. 削除・廃棄の状況', {
    facts: [
      ['廃棄済の番号', `${num(byState.get('disposed') ?? 0)} 件`],
      ['削除・廃棄の記録（監査記録）', `${num(d.disposals.count)} 件`],
      ['最後の削除・廃棄', d.disposals.lastAt ? formatTime(d.disposals.lastAt) : NONE],
    ],
  });
  return model('register', ctx, `${formatDate(d.today)}現在`, [files, purposes, access, retention, disposal]);
}
