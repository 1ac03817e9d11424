import type { PersonId } from './persons.js';

/** The actions the trail knows. New actions are added here, never renamed. */
export type AuditAction =
  | 'vault.initialised'
  | 'vault.opened'
  | 'user.created'
  | 'slot.added'
  | 'slot.unlock_failed'
  | 'persons.imported'
  | 'number.revealed'
  | 'audit.verified'
  | 'auth.signed_in'
  | 'auth.sign_in_failed'
  | 'auth.signed_out'
  | 'auth.locked'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.unlocked'
  | 'network.denied'
  | 'person.registered'
  | 'person.updated'
  | 'person.retired'
  | 'person.dependant_ended'
  | 'number.recorded'
  | 'number.refused'
  | 'identity.checked'
  | 'intake_code.issued'
  | 'intake.self_submitted'
  | 'intake.self_rejected'
  // Collection campaigns (収集): created, codes issued in bulk, reissued to who has not submitted.
  | 'campaign.created'
  | 'campaign.codes_issued'
  | 'campaign.codes_reissued'
  // Existing persons updated from a CSV matched by 社員番号 (all or nothing).
  | 'persons.bulk_updated'
  | 'gate.requested'
  | 'gate.cancelled'
  | 'gate.entry'
  | 'gate.pin_locked'
  | 'gate.pin_refused'
  | 'gate.pin_unlocked'
  | 'numbers.exported'
  | 'security_key.enrolled'
  | 'security_key.revoked'
  | 'gate.key_refused'
  | 'door.opened'
  | 'door.closed'
  | 'door.held'
  | 'door.forced'
  | 'door.sensor_failed'
  | 'door.sensor_restored'
  | 'door.relay_failed'
  | 'door.alarm_acknowledged'
  | 'retention.rule_changed'
  | 'retention.schedule_changed'
  | 'retention.hold_set'
  | 'retention.hold_cleared'
  | 'disposal.proposed'
  | 'disposal.approved'
  | 'disposal.cancelled'
  | 'number.disposed'
  // Settings kept in the vault (the company name on reports, the backup folder).
  | 'settings.updated'
  // First-run setup was completed by an admin.
  | 'setup.completed'
  // An admin pulsed the door strike once to test it.
  | 'door.test_pulse'
  // A report was printed (HTML print view or PDF); its own seq and hash are the head on the paper.
  | 'report.printed'
  // Keys (issue 6): the database key replaced, the vault key pair rotated, slots changed or revoked.
  | 'vault.rekeyed'
  | 'vault.key_rotation_started'
  | 'vault.key_rotated'
  | 'slot.pin_changed'
  | 'slot.recovery_regenerated'
  | 'slot.revoked'
  // Backups (issue 6): a copy made or failed, a backup restored elsewhere and its drill (one number opened).
  | 'backup.created'
  | 'backup.failed'
  | 'backup.restored'
  | 'restore.drill'
  // A second factor for web sign-in (issue 14): enrolled, passed, failed, reset by an admin, recovery codes issued.
  | 'auth.second_factor_enrolled'
  | 'auth.second_factor_verified'
  | 'auth.second_factor_failed'
  | 'auth.second_factor_reset'
  | 'auth.recovery_codes_issued'
  // The local CA's private key stored in the vault (a new CA, or a key moved in from an older tls folder).
  | 'tls.ca_key_stored'
  // Faults (issue 13): a shorter chain accepted by the operator, a storage fault, the clock stepped back.
  | 'audit.head_accepted'
  | 'storage.fault'
  | 'clock.behind'
  // Purposes (issue 11): a 利用目的の追加通知 recorded; an admin's co-approval of a use after the relationship ended.
  | 'purpose.notified'
  | 'purpose.co_approved'
  // Roles (issue 11): a further role on one person and one number (payee, dependant of X, employee), and its end.
  | 'person.role_added'
  | 'person.role_ended'
  // The 管理台帳 (issue 11): a file outside the appliance added or removed by an admin.
  | 'ledger.file_added'
  | 'ledger.file_removed'
  // 最終支払日 after 退職 / 取引終了: retention counts from the later date.
  | 'person.final_payment_recorded'
  // 提供・提出 of an export (where it went) and the exported file deleted (持出しの終了).
  | 'export.provided'
  | 'export.file_deleted'
  // A disposal the restored backup predated, re-applied from the disposal ledger; backups confirmed erased.
  | 'disposal.reapplied'
  | 'disposal.backups_erased'
  // A reading of a 個人番号カード at the appliance that failed (wrong PIN, lock, card pulled, signature, name mismatch).
  | 'card.read_failed'
  // A person's name, kana, birth date and records erased after disposal, leaving a 「削除済」 tombstone (docs/erasure.md).
  | 'person.erasure_proposed'
  | 'person.erasure_cancelled'
  | 'person.erased'
  // Account changes after creation: own password, an admin's reset, name and role.
  | 'user.password_changed'
  | 'user.password_change_refused'
  | 'user.password_reset'
  | 'user.updated'
  // PIN enrolment at the appliance: an admin starts it, the handler sets the PIN on the pad.
  | 'pin.enrolment_started'
  | 'pin.enrolled'
  | 'persons.import_discarded'
  // A merged filing file's handover: where it was submitted (date, receipt) and its local copy deleted (docs/filing-season.md).
  | 'filing.submitted'
  | 'filing.file_deleted'
  // A merged filing file left the appliance (services/filings.ts); its filing_handovers row commits with it.
  | 'filing.merged'
  // The admin's record of a restore drill done on a second machine (its own rows go into the restored copy).
  | 'restore.drill_recorded'
  // A correction (訂正) of a handover's submission record; the first record stays as written (migration 255).
  | 'filing.submission_corrected';

export interface Actor {
  /** A user id, or 'system' / 'cli' for work without a signed-in person. */
  id: string;
  /** The name as it was when the event happened. */
  name: string;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', name: 'システム' };

export interface AuditSubject {
  id: PersonId;
  name: string;
}

/** What a caller asks to append; seq, time and hashes are the trail's to set. */
export interface AuditEventInput {
  actor: Actor;
  action: AuditAction;
  subjects?: readonly AuditSubject[];
  purpose?: string | null;
  client?: string | null;
  device?: string | null;
  /** Free-form facts about the event. Never a number: append refuses 12 or 13 digit runs. */
  detail?: Readonly<Record<string, string | number | boolean | null>>;
}
