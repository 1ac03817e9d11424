import { PURPOSES } from '../domain/purposes.js';
import { NUMBER_STATE_LABEL, PERSON_KIND_LABEL, statusLabel, type NumberState, type PersonKind, type PersonStatus } from '../domain/persons.js';
import { ROLE_LABEL } from '../services/accounts.js';
import type { Role } from '../storage/users-repo.js';
import { formatDate, formatTime } from '../web/view-models.js';
import { num } from './labels.js';
import { model, NONE, section, type ReportContext, type ReportModel } from './model.js';

/** The facts the ledger is built from, gathered by the loader. */
export interface RegisterData {
  /** Persons by kind, status (a dependant with an 異動 date counts as 'retired') and number state. */
  counts: { kind: string; status: string; state: string | null; n: number }[];
  identityChecks: number;
  auditEvents: number;
  vaultFile: string;
  /** The backup folder and what is in it now; folder null when none is set. */
  backup: {
    folder: string | null;
    /** Daily time (HH:MM, Japan time) or null when only manual backups run. */
    schedule: string | null;
    keep: number;
    last: { state: 'ok' | 'failed'; at: string } | null;
    /** Copies of this vault in the folder, or null when the folder cannot be read. */
    copies: number | null;
  };
  /** 責任者 and 取扱部署 of the vault file (settings). */
  owner: { manager: string | null; department: string | null };
  /** Files outside the appliance that admins listed (paper, payroll software, 委託先). */
  manualFiles: { name: string; content: string; location: string; manager: string | null; note: string | null }[];
  users: { name: string; login: string; role: Role; active: boolean; pin: boolean; keys: number }[];
  /** The retention rules (保存期間) when the lifecycle tables exist. */
  rules: { document: string; years: number; start: string }[] | null;
  /**
   * Held numbers whose 事務 has ended in every role the person holds, and those
   * of them past retention, by the same rules the disposal list uses
   * (services/retention retentionOverview).
   */
  retention: { running: number; due: number; held: number };
  disposals: { count: number; lastAt: string | null };
  /** Today in Japan time, YYYY-MM-DD. */
  today: string;
}

const START_LABEL: Record<string, string> = {
  event_date: '完結の日（退職日・異動日など）の翌日から',
  after_jan10_next_year: '提出期限の属する年の翌年1月10日の翌日から',
  after_jan31_next_year: '翌年1月31日の翌日から',
};

const UNSET = '未設定';

/** The backup row's place column: the folder, the schedule, the copies there and the last run. */
export function backupState(b: RegisterData['backup']): string {
  if (!b.folder) return `${UNSET}（バックアップ先のフォルダーが設定されていません）`;
  const parts = [`${b.folder}（データベースと同じ鍵で暗号化）`];
  parts.push(b.schedule ? `毎日 ${b.schedule} に自動実行・最新 ${b.keep} 件を保管` : `自動実行なし（手動）・最新 ${b.keep} 件を保管`);
  parts.push(b.copies === null ? '保管中の複製: フォルダーを読めません' : `保管中の複製 ${num(b.copies)} 件`);
  parts.push(b.last ? `最終実行 ${formatTime(b.last.at)}（${b.last.state === 'ok' ? '成功' : '失敗'}）` : '最終実行: まだ実行されていません');
  return parts.join('。');
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
  const owner = `責任者: ${d.owner.manager ?? UNSET}／取扱部署: ${d.owner.department ?? UNSET}`;
  const files = section('1. 保有する特定個人情報ファイル・記録', {
    tables: [
      {
        columns: ['ファイル・記録', '内容', '件数', '保管場所・方法', '責任者・取扱部署'],
        rows: [
          ['人物台帳（特定個人情報ファイル）', '氏名・フリガナ・社員番号・生年月日・続柄・個人番号（封緘）', `${num(persons)} 名`, `${d.vaultFile}（AEGIS-256 で暗号化したデータベース）`, owner],
          ['個人番号（封緘データ）', '登録済の個人番号（人物ごとに封緘）', `${num(byState.get('held') ?? 0)} 件`, '同上。装置での本人確認の後にだけ開封', '同上'],
          ['未提供の記録', '未提供理由', `${num(byState.get('not_provided') ?? 0)} 件`, '同上', '同上'],
          ['本人確認の記録', '確認書類の種類・確認日・確認者（書類の写しは保管しない）', `${num(d.identityChecks)} 件`, '同上', '同上'],
          ['監査記録（取扱状況の記録）', '操作の日時・担当者・対象者・目的（番号は含まない）', `${num(d.auditEvents)} 件`, '同上。HMAC による連鎖で改ざんを検出', '同上'],
          ['バックアップ', '暗号化したデータベースの複製（人物台帳・個人番号を含む）', d.backup.copies === null ? '—' : `${num(d.backup.copies)} 件`, backupState(d.backup), '同上'],
          ...d.manualFiles.map((f) => [`${f.name}（装置外）`, f.note ? `${f.content}（${f.note}）` : f.content, '—', f.location, f.manager ?? owner]),
        ],
        empty: NONE,
        variant: 'ledger',
      },
      {
        caption: '人物の内訳（種別・状態・番号の状態）',
        columns: ['種別', '状態', '番号の状態', '人数'],
        rows: d.counts.map((c) => [label(PERSON_KIND_LABEL as Record<PersonKind, string>, c.kind), statusLabel(c.kind as PersonKind, c.status as PersonStatus), label(NUMBER_STATE_LABEL as Record<NumberState, string>, c.state), `${num(c.n)} 名`]),
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
  const retention = section('4. 保存期間', {
    paragraphs: [
      '個人番号は、事務に必要な間と、番号を記載した書類の法定保存期間が過ぎるまで保管し、その後できるだけ速やかに（原則として事業年度末にまとめて）削除・廃棄します。在職中・扶養中・取引中の人物は起算前です。',
    ],
    facts: [
      ['関係が終了し、番号を保管中の人物（退職者の扶養親族を含む）', `${num(d.retention.running)} 名`],
      ['うち、保存期間の規則により保存期間を過ぎた人物（廃棄予定一覧と同じ判定）', `${num(d.retention.due)} 名`],
      ['うち、廃棄の保留中', `${num(d.retention.held)} 名`],
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
