import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { normaliseCode, parseRelationship, type Person, type PersonId, type PersonKind } from '../domain/persons.js';
import { addRoleProblem, primaryRole } from '../domain/roles.js';
import { writeTransaction } from '../storage/database.js';
import { FormError } from './accounts.js';
import type { Vault } from './vault.js';

/** The part of the vault `addRole` and `endRole` use. */
export type RoleStore = Pick<Vault, 'db' | 'persons' | 'roles' | 'audit' | 'clock'>;

export interface RoleForm {
  role?: string;
  /** 取引先コード / 社員番号 for the new role. */
  code?: string;
  /** For a dependant role: the supporting employee's 社員番号. */
  supporterCode?: string;
  relationship?: string;
}

/** Every role of a person: the primary one (persons.kind) first, then the others. */
export function rolesOf(vault: Pick<Vault, 'persons' | 'roles'>, personId: PersonId) {
  const person = vault.persons.byId(personId) ?? notFound();
  return [primaryRole(person, vault.persons.dependantUntil(person.id)), ...vault.roles.forPerson(person.id)];
}

/**
 * Adds a role to a registered person (one person, one number): a payee role
 * with its 取引先コード, an employee role with its 社員番号, or a dependant of an
 * employee. The number stays the one sealed record; purposes for the role are
 * notified afterwards (利用目的の追加通知). Audited as person.role_added.
 */
export function addRole(vault: RoleStore, actor: Actor, personId: PersonId, form: RoleForm, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  const role = form.role as PersonKind;
  if (role !== 'employee' && role !== 'payee' && role !== 'dependant') throw new FormError({ role: '追加する役割を選んでください。' });
  let code: string | null = null;
  let supporter: Person | undefined;
  let relationship: string | null = null;
  if (role === 'dependant') {
    const supporterCode = normaliseCode(form.supporterCode ?? '');
    const supporterId = supporterCode === undefined ? undefined : vault.persons.codes('employee').get(supporterCode);
    supporter = supporterId === undefined ? undefined : vault.persons.byId(supporterId);
    relationship = parseRelationship(form.relationship ?? '') ?? null;
    if (relationship === null) throw new FormError({ relationship: '続柄を選んでください。' });
  } else {
    code = normaliseCode(form.code ?? '') ?? null;
    if (code === null) throw new FormError({ code: `${role === 'employee' ? '社員番号' : '取引先コード'}を英数字で入れてください。` });
    if (vault.persons.codes(role).has(code) || vault.roles.codeTaken(role, code)) throw new FormError({ code: `「${code}」は既に使われています。` });
  }
  const problem = addRoleProblem(person, rolesOf(vault, person.id), { role, supporterId: supporter?.id ?? null }, supporter);
  if (problem) throw new FormError({ role: problem });
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    const id = vault.roles.insert(person.id, { role, code, supporterId: supporter?.id ?? null, relationship }, japanDate(vault.clock.now()), at);
    vault.audit.append({ actor, action: 'person.role_added', subjects: [{ id: person.id, name: person.name }], client, detail: { role_id: id, role, ...(supporter ? { supporter_id: supporter.id } : {}) } });
  });
}

/**
 * Ends a further role (退職・取引終了・異動 of that role) with its date, and for
 * an employee or payee role optionally its 最終支払日; the primary role ends as
 * before. Retention counts each role from the later of the two
 * (services/retention roleRetentionFacts). Audited as person.role_ended.
 */
export function endRole(vault: RoleStore, actor: Actor, personId: PersonId, roleId: number, date: string | undefined, client: string | null, lastPaid?: string): void {
  const person = vault.persons.byId(personId) ?? notFound();
  const role = vault.roles.forPerson(person.id).find((r) => r.id === roleId);
  if (!role) throw new AppError('not_found', '指定された役割はありません。');
  if (role.endedOn) throw new AppError('conflict', `この役割は${role.endedOn}に終了しています。`);
  const endedOn = date ? parseDate(date) : undefined;
  if (!endedOn) throw new FormError({ roleEnd: '終了日を 2026-03-31 の形で入れてください。' });
  if (endedOn > japanDate(vault.clock.now())) throw new FormError({ roleEnd: '終了日が未来の日付です。終了した日を入れてください。' });
  const paidOn = lastPaid?.trim() ? finalPaymentOf(role.role, endedOn, lastPaid) : null;
  writeTransaction(vault.db, () => {
    vault.roles.end(role.id, endedOn);
    if (paidOn) vault.roles.setLastPaidOn(role.id, paidOn);
    vault.audit.append({ actor, action: 'person.role_ended', subjects: [{ id: person.id, name: person.name }], client, detail: { role_id: role.id, role: role.role, ended_on: endedOn, ...(paidOn ? { last_paid_on: paidOn } : {}) } });
  });
}

/**
 * Records 最終支払日 of an ended employee or payee role (翌月払いの給与, 退職金, a
 * final invoice paid later). Audited as person.final_payment_recorded with the role.
 */
export function recordRoleFinalPayment(vault: Pick<Vault, 'db' | 'persons' | 'roles' | 'audit'>, actor: Actor, personId: PersonId, roleId: number, input: string | undefined, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  const role = vault.roles.forPerson(person.id).find((r) => r.id === roleId);
  if (!role) throw new AppError('not_found', '指定された役割はありません。');
  if (!role.endedOn) throw new FormError({ roleEnd: '最終支払日は役割の終了を記録した後に入れてください。' });
  const paidOn = finalPaymentOf(role.role, role.endedOn, input);
  if (paidOn === role.lastPaidOn) return;
  writeTransaction(vault.db, () => {
    vault.roles.setLastPaidOn(role.id, paidOn);
    vault.audit.append({ actor, action: 'person.final_payment_recorded', subjects: [{ id: person.id, name: person.name }], client, detail: { role_id: role.id, role: role.role, paid_on: paidOn, before: role.lastPaidOn } });
  });
}

function finalPaymentOf(role: PersonKind, endedOn: string, input: string | undefined): string {
  if (role === 'dependant') throw new FormError({ roleEnd: '扶養親族の役割に最終支払日はありません。扶養する従業員の最終支払日で数えます。' });
  const paidOn = input ? parseDate(input) : undefined;
  if (!paidOn) throw new FormError({ roleEnd: '最終支払日を 2027-01-25 の形で入れてください。' });
  if (paidOn < endedOn) throw new FormError({ roleEnd: '最終支払日が終了日より前です。終了後の最後の支払いの日を入れてください。' });
  return paidOn;
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物は登録されていません。');
}
