import type { Role } from '../storage/users-repo.js';

/**
 * Who may do what (DESIGN §1), in one table. Routes ask for a permission;
 * navigation shows only what the role may use.
 */
export type Permission = 'users.manage' | 'persons.read' | 'persons.write' | 'intake.write' | 'gate.request';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['users.manage', 'persons.read', 'persons.write', 'intake.write'],
  handler: ['persons.read', 'persons.write', 'intake.write', 'gate.request'],
  auditor: ['persons.read'],
};

export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].includes(permission);
}
