import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { CORPORATE_NUMBER_ON_HELD_REFUSAL } from '../domain/number-eligibility.js';
import type { Person, PersonId, PersonKind } from '../domain/persons.js';
import { namedAuditRow, type AuditRow } from '../storage/audit-repo.js';
import { writeTransaction } from '../storage/database.js';
import type { PersonListRow } from '../storage/persons-repo.js';
import { FormError, type FieldErrors } from './accounts.js';
import type { Column } from './import/columns.js';
import { validatePersonFields } from './import/validate.js';
import { personRetention } from './retention.js';
import type { Vault } from './vault.js';

/** What registering, changing, retiring or ending a person writes. */
export type PersonStore = Pick<Vault, 'db' | 'persons' | 'audit' | 'clock'>;

/** The fields of the register forms, as typed. */
export interface PersonForm {
  kind?: string;
  code?: string;
  name?: string;
  kana?: string;
  birthDate?: string;
  relationship?: string;
  corporateNumber?: string;
}

const FORM_FIELD: Partial<Record<Column, keyof PersonForm>> = {
  kind: 'kind',
  code: 'code',
  name: 'name',
  kana: 'kana',
  birth_date: 'birthDate',
  relationship: 'relationship',
  corporate_number: 'corporateNumber',
  supporter_code: 'kind',
};

function check(vault: Pick<Vault, 'clock'>, form: PersonForm, supporter: Person | null) {
  const r = validatePersonFields(
    {
      kind: form.kind,
      code: supporter ? undefined : form.code,
      name: form.name,
      kana: form.kana,
      birth_date: form.birthDate,
      relationship: form.relationship,
      corporate_number: form.corporateNumber,
      supporter_code: supporter?.code ?? undefined,
    },
    0,
    japanDate(vault.clock.now()),
    { numberRequired: false },
  );
  if (!r.ok) {
    const errors: FieldErrors = {};
    for (const p of r.problems) errors[FORM_FIELD[p.field] ?? 'name'] ??= p.message;
    throw new FormError(errors);
  }
  return r.draft;
}

/** Checks a new dependant's fields as the register form does (FormError keyed name, kana, birthDate, relationship). */
export function checkDependantForm(vault: Pick<Vault, 'clock'>, form: PersonForm, supporter: Person): ReturnType<typeof check> {
  return check(vault, { ...form, kind: 'dependant' }, supporter);
}

function subject(p: Pick<Person, 'id' | 'name'>) {
  return [{ id: p.id, name: p.name }];
}

/** Registers a person (a dependant under its supporting employee). Audited as person.registered. */
export function registerPerson(vault: PersonStore, actor: Actor, form: PersonForm, supporterId: PersonId | null, client: string | null): PersonId {
  const supporter = supporterId === null ? null : (vault.persons.byId(supporterId) ?? notFound());
  if (supporter && supporter.kind !== 'employee') throw new AppError('invalid', '扶養親族は従業員の下にだけ登録できます。');
  const d = check(vault, supporter ? { ...form, kind: 'dependant' } : form, supporter);
  if (!supporter && d.kind === 'dependant') throw new FormError({ kind: '扶養親族は、扶養する従業員の画面から登録してください。' });
  const at = vault.clock.now().toISOString();
  return writeTransaction(vault.db, () => {
    if (d.code !== null && vault.persons.codeExists(d.kind, d.code)) {
      throw new FormError({ code: `${d.kind === 'employee' ? '社員番号' : '取引先コード'}「${d.code}」は既に登録されています。` });
    }
    const id = vault.persons.nextId();
    const person: Person = {
      id, kind: d.kind, code: d.code, name: d.name, kana: d.kana, birthDate: d.birthDate, relationship: d.relationship,
      supporterId: supporter?.id ?? null, corporateNumber: d.corporateNumber, status: 'active', retiredOn: null,
    };
    vault.persons.insertPerson(person, at);
    vault.audit.append({ actor, action: 'person.registered', subjects: subject(person), client, detail: { kind: d.kind } });
    return id;
  });
}

/** Edits name, kana, birth date, code, 続柄 or 法人番号. The kind and supporter stay. */
export function updatePerson(vault: PersonStore, actor: Actor, id: PersonId, form: PersonForm, client: string | null): void {
  const before = vault.persons.byId(id) ?? notFound();
  const supporter = before.supporterId === null ? null : vault.persons.byId(before.supporterId)!;
  const d = check(vault, { ...form, kind: before.kind }, supporter);
  const changed = (['code', 'name', 'kana', 'birthDate', 'relationship', 'corporateNumber'] as const).filter((k) => before[k] !== d[k]);
  if (changed.length === 0) return;
  if (d.corporateNumber && !before.corporateNumber && vault.persons.numberOf(id)?.state === 'held') throw new FormError({ corporateNumber: CORPORATE_NUMBER_ON_HELD_REFUSAL });
  writeTransaction(vault.db, () => {
    if (d.code !== null && d.code !== before.code && vault.persons.codeExists(before.kind, d.code)) {
      throw new FormError({ code: `「${d.code}」は既に登録されています。` });
    }
    vault.persons.updatePerson({ id, code: d.code, name: d.name, kana: d.kana, birthDate: d.birthDate, relationship: d.relationship, corporateNumber: d.corporateNumber }, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'person.updated', subjects: subject({ id, name: d.name }), client, detail: { fields: changed.join(',') } });
  });
}

function dateField(input: string | undefined, field: string, label: string): string {
  const d = input ? parseDate(input) : undefined;
  if (!d) throw new FormError({ [field]: `${label}を 2025-03-31 や 令和7年3月31日 の形で入れてください。` });
  return d;
}

/** Records 退職 of an employee, or 取引終了 of a payee, with its date; the retention clock starts from it. */
export function retirePerson(vault: PersonStore, actor: Actor, id: PersonId, retiredOn: string | undefined, client: string | null): void {
  const p = vault.persons.byId(id) ?? notFound();
  if (p.kind === 'dependant') throw new AppError('invalid', '退職は従業員にだけ、取引終了は支払先にだけ記録できます。扶養親族は異動を記録してください。');
  const date = dateField(retiredOn, 'retiredOn', p.kind === 'payee' ? '取引終了日' : '退職日');
  writeTransaction(vault.db, () => {
    vault.persons.retire(id, date, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'person.retired', subjects: subject(p), client, detail: { retired_on: date } });
  });
}

/** 異動: a dependant is no longer supported from this date. */
export function endDependant(vault: PersonStore, actor: Actor, id: PersonId, until: string | undefined, client: string | null): void {
  const p = vault.persons.byId(id) ?? notFound();
  if (p.kind !== 'dependant') throw new AppError('invalid', '異動は扶養親族にだけ記録できます。');
  const date = dateField(until, 'until', '異動日');
  writeTransaction(vault.db, () => {
    vault.persons.endDependant(id, date, vault.clock.now().toISOString());
    vault.audit.append({ actor, action: 'person.dependant_ended', subjects: subject(p), client, detail: { until: date } });
  });
}

export interface PersonDetail {
  person: Person;
  supporter: Person | null;
  dependantUntil: string | null;
  dependants: PersonListRow[];
  number: { state: 'held' | 'not_provided' | 'disposed'; refusalReason: string | null; acquiredAt: string; disposedAt: string | null; purposes: string[] } | null;
  identityChecks: ReturnType<Vault['identityChecks']['forPerson']>;
  retentionEnd: string | null;
  /** The retention end under the rules, its batch, any legal hold and the disposal that destroyed the number. */
  retention: ReturnType<typeof personRetention>;
  /** The person's events, newest first, by name. */
  history: AuditRow[];
}

/** Everything the person page shows. Never the number: only its state. */
export function personDetail(vault: Pick<Vault, 'persons' | 'roles' | 'identityChecks' | 'retention' | 'auditRepo'>, id: PersonId): PersonDetail {
  const person = vault.persons.byId(id) ?? notFound();
  const supporter = person.supporterId === null ? null : (vault.persons.byId(person.supporterId) ?? null);
  const dependantUntil = vault.persons.dependantUntil(id);
  const n = vault.persons.numberOf(id);
  const retention = personRetention(vault, id);
  return {
    person,
    supporter,
    dependantUntil,
    dependants: person.kind === 'employee' ? vault.persons.dependantsOf(id) : [],
    number: n ? { state: n.state, refusalReason: n.refusalReason, acquiredAt: n.acquiredAt, disposedAt: n.disposedAt, purposes: n.purposes } : null,
    identityChecks: vault.identityChecks.forPerson(id),
    retentionEnd: retention.result?.end ?? null,
    retention,
    history: vault.auditRepo.forPerson(id).map(namedAuditRow),
  };
}

/** The purpose notices given to a person and the roles the person holds (with the supporting person), for the person page. */
export function noticesAndRoles(vault: Pick<Vault, 'persons' | 'purposeNotices' | 'roles'>, id: PersonId) {
  return {
    notices: vault.purposeNotices.forPerson(id),
    roles: vault.roles.forPerson(id).map((r) => ({ ...r, supporter: r.supporterId === null ? undefined : vault.persons.byId(r.supporterId) })),
  };
}

export function kindOf(value: string | undefined): PersonKind | undefined {
  return value === 'employee' || value === 'dependant' || value === 'payee' ? value : undefined;
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物は登録されていません。');
}
