import type { AuditAction } from './audit-events.js';

/**
 * Japanese labels for every action of the trail, grouped as the audit views
 * offer them in their filter. Typed over the whole union: a new action does
 * not compile until it has a label and a group here.
 */
export type AuditActionGroup = 'numbers' | 'persons' | 'gate' | 'door' | 'auth' | 'users' | 'vault' | 'disposal';

export const AUDIT_GROUP_LABEL: Record<AuditActionGroup, string> = {
  numbers: '個人番号の利用・出力・取得',
  persons: '人物台帳・本人確認',
  gate: '管理区域の申請・承認',
  door: '扉・警報',
  auth: 'サインイン・接続',
  users: '利用者・鍵の管理',
  vault: '金庫・監査記録',
  disposal: '保管期間・削除・廃棄',
};

export const AUDIT_ACTION_LABEL: Record<AuditAction, { label: string; group: AuditActionGroup }> = {
  'number.revealed': { label: '個人番号の表示', group: 'numbers' },
  'numbers.exported': { label: '個人番号の出力（CSV）', group: 'numbers' },
  'export.provided': { label: '提供・提出の記録', group: 'numbers' },
  'export.file_deleted': { label: '出力ファイルの削除確認（持出しの終了）', group: 'numbers' },
  'number.recorded': { label: '個人番号の取得', group: 'numbers' },
  'number.refused': { label: '未提供の記録', group: 'numbers' },
  'intake.self_submitted': { label: '本人による提出', group: 'numbers' },
  'intake.self_rejected': { label: '本人提出の不受理（登録済みの番号）', group: 'numbers' },
  'persons.imported': { label: 'CSV取り込み', group: 'numbers' },
  'person.registered': { label: '人物の登録', group: 'persons' },
  'person.updated': { label: '人物の編集', group: 'persons' },
  'person.final_payment_recorded': { label: '最終支払日の記録', group: 'persons' },
  'person.retired': { label: '退職の記録', group: 'persons' },
  'person.dependant_ended': { label: '扶養の異動', group: 'persons' },
  'identity.checked': { label: '本人確認', group: 'persons' },
  'intake_code.issued': { label: '入力コードの発行', group: 'persons' },
  'campaign.created': { label: '収集キャンペーンの作成', group: 'persons' },
  'campaign.codes_issued': { label: '収集キャンペーンの入力コード一括発行', group: 'persons' },
  'campaign.codes_reissued': { label: '収集キャンペーンの入力コード再発行（未提出者）', group: 'persons' },
  'persons.bulk_updated': { label: 'CSVによる一括更新（社員番号で照合）', group: 'persons' },
  'gate.requested': { label: '番号表示・出力・入室の申請', group: 'gate' },
  'gate.cancelled': { label: '申請の取り消し', group: 'gate' },
  'gate.entry': { label: '管理区域での承認（入室）', group: 'gate' },
  'gate.pin_locked': { label: 'PINロック', group: 'gate' },
  'gate.pin_refused': { label: 'ロック中のPIN入力', group: 'gate' },
  'gate.pin_unlocked': { label: 'PINロックの解除', group: 'gate' },
  'gate.key_refused': { label: 'セキュリティキーの拒否', group: 'gate' },
  'door.opened': { label: '扉の開', group: 'door' },
  'door.closed': { label: '扉の閉', group: 'door' },
  'door.held': { label: '扉の開放し続け（警報）', group: 'door' },
  'door.forced': { label: '承認なしの扉の開放（警報）', group: 'door' },
  'door.sensor_failed': { label: '扉センサーの故障（警報）', group: 'door' },
  'door.sensor_restored': { label: '扉センサーの復旧', group: 'door' },
  'door.relay_failed': { label: '電気錠リレーの失敗（警報）', group: 'door' },
  'door.alarm_acknowledged': { label: '扉の警報の確認', group: 'door' },
  'auth.signed_in': { label: 'サインイン', group: 'auth' },
  'auth.sign_in_failed': { label: 'サインイン失敗', group: 'auth' },
  'auth.signed_out': { label: 'サインアウト', group: 'auth' },
  'auth.locked': { label: 'アカウントのロック', group: 'auth' },
  'auth.second_factor_enrolled': { label: '二要素認証の登録', group: 'auth' },
  'auth.second_factor_verified': { label: '二要素認証の確認', group: 'auth' },
  'auth.second_factor_failed': { label: '二要素認証の失敗', group: 'auth' },
  'auth.second_factor_reset': { label: '二要素認証のリセット（管理者）', group: 'users' },
  'auth.recovery_codes_issued': { label: '回復コードの発行', group: 'auth' },
  'network.denied': { label: '許可外ネットワークからの接続', group: 'auth' },
  'user.created': { label: '利用者の追加', group: 'users' },
  'user.disabled': { label: '利用者の無効化', group: 'users' },
  'user.enabled': { label: '利用者の有効化', group: 'users' },
  'user.unlocked': { label: 'ロック解除', group: 'users' },
  'slot.added': { label: '鍵スロットの追加', group: 'users' },
  'slot.unlock_failed': { label: 'PIN等の誤り', group: 'users' },
  'security_key.enrolled': { label: 'セキュリティキーの登録', group: 'users' },
  'security_key.revoked': { label: 'セキュリティキーの無効化', group: 'users' },
  'vault.initialised': { label: '金庫の作成', group: 'vault' },
  'vault.opened': { label: '金庫を開いた', group: 'vault' },
  'audit.verified': { label: '監査記録の検証', group: 'vault' },
  'report.printed': { label: '帳票の印刷', group: 'vault' },
  'settings.updated': { label: '設定の変更', group: 'vault' },
  'ledger.file_added': { label: '管理台帳への装置外ファイルの追加', group: 'vault' },
  'ledger.file_removed': { label: '管理台帳からの装置外ファイルの削除', group: 'vault' },
  'setup.completed': { label: '初期設定の完了', group: 'vault' },
  'door.test_pulse': { label: '電気錠のテスト解錠', group: 'door' },
  'retention.rule_changed': { label: '保管期間のルールの変更', group: 'disposal' },
  'retention.schedule_changed': { label: '廃棄の時期・バックアップ保管日数の変更', group: 'disposal' },
  'retention.hold_set': { label: '廃棄の保留の設定', group: 'disposal' },
  'retention.hold_cleared': { label: '廃棄の保留の解除', group: 'disposal' },
  'disposal.proposed': { label: '廃棄の提案', group: 'disposal' },
  'disposal.approved': { label: '廃棄の承認', group: 'disposal' },
  'disposal.cancelled': { label: '廃棄の提案の取り消し', group: 'disposal' },
  'disposal.reapplied': { label: '復元時の廃棄の再適用', group: 'disposal' },
  'disposal.backups_erased': { label: 'バックアップ消去確認', group: 'disposal' },
  'number.disposed': { label: '個人番号の削除・廃棄', group: 'disposal' },
  'vault.rekeyed': { label: 'データベース鍵の交換', group: 'vault' },
  'vault.key_rotation_started': { label: '金庫の鍵の交換の開始', group: 'vault' },
  'vault.key_rotated': { label: '金庫の鍵の交換', group: 'vault' },
  'slot.pin_changed': { label: 'PINの変更', group: 'users' },
  'slot.recovery_regenerated': { label: '回復コードの再発行', group: 'users' },
  'slot.revoked': { label: '鍵スロットの無効化', group: 'users' },
  'backup.created': { label: 'バックアップの作成', group: 'vault' },
  'backup.failed': { label: 'バックアップの失敗', group: 'vault' },
  'backup.restored': { label: 'バックアップからの復元', group: 'vault' },
  'purpose.notified': { label: '利用目的の追加通知', group: 'persons' },
  'person.role_added': { label: '役割の追加', group: 'persons' },
  'person.role_ended': { label: '役割の終了', group: 'persons' },
  'purpose.co_approved': { label: '退職・取引終了後の利用の承認', group: 'numbers' },
  'restore.drill': { label: '復元の確認（番号を1件開く）', group: 'vault' },
  'tls.ca_key_stored': { label: 'ローカルCAの鍵の保管', group: 'vault' },
  'audit.head_accepted': { label: '監査記録の欠落の受け入れ', group: 'vault' },
  'storage.fault': { label: '記憶装置の障害', group: 'vault' },
  'clock.behind': { label: '時計の巻き戻り', group: 'vault' },
  'card.read_failed': { label: 'マイナンバーカード読み取りの失敗', group: 'numbers' },
  // Erasure of a person's data after disposal (docs/erasure.md).
  'person.erasure_proposed': { label: '個人データの削除の提案', group: 'disposal' },
  'person.erasure_cancelled': { label: '個人データの削除の提案の取消', group: 'disposal' },
  'person.erased': { label: '個人データの削除（削除済）', group: 'disposal' },
  'user.password_changed': { label: 'パスワードの変更', group: 'users' },
  'user.password_change_refused': { label: 'パスワード変更の失敗', group: 'users' },
  'user.password_reset': { label: 'パスワードの再設定（管理者）', group: 'users' },
  'user.updated': { label: '利用者の氏名・役割の変更', group: 'users' },
  'pin.enrolment_started': { label: '装置でのPIN登録の開始', group: 'users' },
  'pin.enrolled': { label: '装置でのPIN登録', group: 'users' },
  'persons.import_discarded': { label: 'CSV取り込みの取り消し（途中で止まった取り込み）', group: 'numbers' },
  'filing.submitted': { label: '申告書ファイルの提出の記録', group: 'numbers' },
  'filing.file_deleted': { label: '申告書ファイルの削除確認（持出しの終了）', group: 'numbers' },
  'filing.merged': { label: '届出ファイルへの番号の記入と受け渡し（暗号化ZIP）', group: 'numbers' },
  'restore.drill_recorded': { label: '復元訓練の記録', group: 'vault' },
  'filing.submission_corrected': { label: '申告書ファイルの提出の記録の訂正', group: 'numbers' },
};

export function isAuditAction(a: string): a is AuditAction {
  return Object.hasOwn(AUDIT_ACTION_LABEL, a);
}

export function auditActionLabel(a: string): string {
  return isAuditAction(a) ? AUDIT_ACTION_LABEL[a].label : a;
}

/** The actions of a group, in catalogue order. */
export function actionsOfGroup(g: AuditActionGroup): AuditAction[] {
  return (Object.keys(AUDIT_ACTION_LABEL) as AuditAction[]).filter((a) => AUDIT_ACTION_LABEL[a].group === g);
}

export function isAuditGroup(g: string): g is AuditActionGroup {
  return Object.hasOwn(AUDIT_GROUP_LABEL, g);
}
