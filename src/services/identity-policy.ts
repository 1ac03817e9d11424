import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import type { Person } from '../domain/persons.js';
import { writeTransaction } from '../storage/database.js';
import type { Vault } from './vault.js';

/**
 * What a reveal or an export does with a number whose 本人確認 (番号法16条) is
 * not on record: 'warn' (the default) names the persons on the request page;
 * 'block' refuses the reveal and leaves them out of an export.
 */
export type IdentityCheckPolicy = 'warn' | 'block';

export const IDENTITY_POLICY_KEY = 'identity_check_policy';

export function identityCheckPolicy(vault: Pick<Vault, 'meta'>): IdentityCheckPolicy {
  return vault.meta.get(IDENTITY_POLICY_KEY) === 'block' ? 'block' : 'warn';
}

export function setIdentityCheckPolicy(vault: Pick<Vault, 'db' | 'meta' | 'audit'>, admin: Actor, policy: string, client: string | null): void {
  if (policy !== 'warn' && policy !== 'block') throw new AppError('invalid', '本人確認が未了の番号の扱いを「警告」か「利用しない」から選んでください。');
  writeTransaction(vault.db, () => {
    vault.meta.set(IDENTITY_POLICY_KEY, policy);
    vault.audit.append({ actor: admin, action: 'settings.updated', client, detail: { setting: IDENTITY_POLICY_KEY, value: policy } });
  });
}

/** True when the person's held number has a 本人確認 on record. */
export function identityChecked(vault: Pick<Vault, 'identityChecks'>, person: Pick<Person, 'id'>): boolean {
  return vault.identityChecks.forPerson(person.id).length > 0;
}

export const IDENTITY_UNCHECKED = '本人確認が記録されていません';
