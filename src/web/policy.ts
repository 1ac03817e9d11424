import type { Role } from '../storage/users-repo.js';

/**
 * Who may do what (DESIGN §1), in one table. Routes ask for a permission;
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
  | 'door.acknowledge';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['users.manage', 'persons.read', 'persons.write', 'intake.write', 'entry.request', 'entries.read', 'door.acknowledge'],
  handler: ['persons.read', 'persons.write', 'intake.write', 'gate.request', 'entry.request'],
  auditor: ['persons.read', 'entries.read'],
};

export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].includes(permission);
}
