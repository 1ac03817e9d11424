/**
 * Whether a 漏えい等 of My Numbers must be reported to the PPC and notified to
 * the persons (番号法29条の4; 特定個人情報の漏えい等に関する報告等に関する規則
 * 2条). The triggers that apply to an ordinary company: (2) 不正の目的 — one
 * person is enough; (3) 電磁的方法により不特定多数の者に閲覧され(るおそれ) — one
 * person is enough; (4) more than 100 persons. Data protected by 高度な暗号化
 * (the vault file and its backups: AEGIS-256 with a key kept apart) is outside
 * the rule unless the key went too.
 *
 * Stricter readings taken: a key whose fate is unknown counts as gone; a
 * source or a number of persons that is not known gives 'undetermined', never
 * 'not_required'; and no record in the trail for a reveal is not evidence that
 * nothing happened.
 */

/** What leaked, or may have. */
export type LeakSource = 'reveal' | 'vault_file' | 'backup' | 'export_file' | 'paper' | 'unknown';

export const LEAK_SOURCE_LABEL: Record<LeakSource, string> = {
  reveal: '画面に表示した番号（監査記録の表示・出力）',
  vault_file: '金庫のデータベースファイル（暗号化済み）',
  backup: 'バックアップの複製（暗号化済み）',
  export_file: '出力したCSVファイル（暗号化なし）',
  paper: '紙の書類（申告書など）',
  unknown: 'まだ分からない',
};

/** Whether the database key (the credential) went with an encrypted file. */
export type KeyExposure = 'no' | 'yes' | 'unknown';

export const KEY_EXPOSURE_LABEL: Record<KeyExposure, string> = {
  no: '鍵は漏えいしていない（別に保管され、無事を確認済み）',
  yes: '鍵も漏えいした',
  unknown: '鍵の無事を確認できていない',
};

/** 事態の区分 on the PPC form. */
export type IncidentCategory = 'leak' | 'loss' | 'damage' | 'misuse' | 'improper_provision';

export const INCIDENT_CATEGORY_LABEL: Record<IncidentCategory, string> = {
  leak: '漏えい（又はそのおそれ）',
  loss: '滅失（又はそのおそれ）',
  damage: '毀損（又はそのおそれ）',
  misuse: '番号法9条に違反する利用（又はそのおそれ）',
  improper_provision: '番号法19条に違反する提供（又はそのおそれ）',
};

/** 委託関係 on the PPC form. */
export type Entrustment = 'none' | 'as_principal' | 'as_contractor';

export const ENTRUSTMENT_LABEL: Record<Entrustment, string> = {
  none: '委託関係なし（自社での事態）',
  as_principal: '委託元として（委託先で発生）',
  as_contractor: '委託先として（委託元から預かったもの）',
};

export interface IncidentCase {
  source: LeakSource;
  key: KeyExposure;
  /** 不正の目的 suspected. */
  improper: boolean;
  /** 不特定多数の者に閲覧され(るおそれ): posted online, reachable from outside. */
  publicView: boolean;
  /** Persons concerned, or null when not known. */
  persons: number | null;
}

export type ReportState = 'required' | 'not_required' | 'undetermined';

export interface ReportDecision {
  state: ReportState;
  reason: string;
}

export const PERSONS_THRESHOLD = 100;

export function decideReport(c: IncidentCase): ReportDecision {
  if (c.source === 'unknown') {
    return { state: 'undetermined', reason: '何が漏えい等したか（表示・金庫のファイル・バックアップ・出力ファイル・紙）を選んでください。分からないうちは「報告不要」とは判断しません。' };
  }
  const encrypted = c.source === 'vault_file' || c.source === 'backup';
  if (encrypted && c.key === 'no') {
    return {
      state: 'not_required',
      reason: '高度な暗号化（AEGIS-256。鍵は別に保管）がされたファイルで、鍵が漏えいしていないため、報告の対象から除かれます（規則2条 括弧書き）。鍵も持ち出された疑いが出たら、直ちに判定をやり直してください。',
    };
  }
  const keyNote = encrypted ? (c.key === 'yes' ? '鍵も漏えいしたため暗号化による除外はありません。' : '鍵の無事を確認できていないため、鍵も漏えいしたものとして扱います。') : '';
  if (c.persons === null) {
    return { state: 'undetermined', reason: `${keyNote}本人の数が分かりません。人数を確かめるまで「報告不要」とは判断しません（不正の目的・不特定多数の閲覧のおそれがあれば1名でも報告が必要です）。` };
  }
  const n = c.persons.toLocaleString('ja-JP');
  if (c.persons === 0) {
    return {
      state: 'undetermined',
      reason:
        c.source === 'reveal'
          ? '監査記録には、この条件で番号が外に出た記録がありません。記録に残らない経路（紙・出力ファイル・バックアップ・画面の撮影）がないか確かめてください。記録がないことだけで「報告不要」とは判断しません。'
          : `${keyNote}本人の数が0名です。対象のファイル・書類を確かめてください。`,
    };
  }
  if (c.improper) return { state: 'required', reason: `${keyNote}不正の目的が疑われ、本人が ${n} 名（1名以上）のため、個人情報保護委員会への報告と本人への通知が必要です（番号法29条の4、規則2条2号）。` };
  if (c.publicView) return { state: 'required', reason: `${keyNote}不特定多数の者に閲覧され（るおそれが）あり、本人が ${n} 名（1名以上）のため、報告と本人への通知が必要です（規則2条3号）。` };
  if (c.persons > PERSONS_THRESHOLD) return { state: 'required', reason: `${keyNote}本人が ${n} 名で ${PERSONS_THRESHOLD} 名を超えるため、漏えい等であれば報告と本人への通知が必要です（規則2条4号）。` };
  return {
    state: 'not_required',
    reason: `${keyNote}本人は ${n} 名で ${PERSONS_THRESHOLD} 名以下、不正の目的・不特定多数の閲覧のおそれはないとされています。人数による報告義務はありませんが、これらの事実が変われば判定をやり直してください（報告しない場合も経緯を記録に残してください）。`,
  };
}
