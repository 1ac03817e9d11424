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
  | 'auth.recovery_codes_issued';

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
