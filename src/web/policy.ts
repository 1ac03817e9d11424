import type { Role } from '../domain/users.js';

/**
 * Who may do what, in one table. Routes ask for a permission;
 * navigation shows only what the role may use.
 */
export type Permission =
  | 'users.manage'
  | 'persons.read'
  | 'persons.write'
  | 'intake.write'
  | 'gate.request'
  // Ask to enter the 管理区域 without touching a number (入室申請).
  | 'entry.request'
  // Read the entry log (入退室記録): everyone's entries, door events and alarms.
  | 'entries.read'
  // See the door's alarms on the home page and acknowledge them.
  | 'door.acknowledge'
  // The disposal list, disposal records and the retention rules (read only).
  | 'disposal.read'
  // Propose a disposal (削除・廃棄の提案) and withdraw one's own proposal.
  | 'disposal.propose'
  // Approve a disposal, which destroys the numbers (事務取扱責任者 only).
  | 'disposal.approve'
  // Edit the retention rules and the disposal schedule.
  | 'retention.manage'
  // Set or clear a legal hold (廃棄の保留) on a person.
  | 'holds.write'
  // Print the reports (帳票) and use the incident view; printing is audited.
  | 'reports.read'
  // Download reports as PDF made on the appliance.
  | 'reports.pdf'
  // Browse the audit trail (監査記録), see the chain's state and run its full verification.
  | 'audit.read'
  // Make backups now, see the backup folder's list, set the daily backup (事務取扱責任者 only).
  | 'backups.manage'
  // Approve once a use after 退職・取引終了・異動 (事務取扱責任者 only, with a note).
  | 'purposes.co_approve';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['users.manage', 'persons.read', 'persons.write', 'intake.write', 'entry.request', 'entries.read', 'door.acknowledge', 'disposal.read', 'disposal.propose', 'disposal.approve', 'retention.manage', 'holds.write', 'reports.read', 'reports.pdf', 'audit.read', 'backups.manage', 'purposes.co_approve'],
  handler: ['persons.read', 'persons.write', 'intake.write', 'gate.request', 'entry.request', 'disposal.read', 'disposal.propose', 'holds.write'],
  auditor: ['persons.read', 'entries.read', 'disposal.read', 'reports.read', 'audit.read'],
};

export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].includes(permission);
}
