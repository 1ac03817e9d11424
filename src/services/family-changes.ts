import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import type { Person, PersonId } from '../domain/persons.js';
import { FormError, type FieldErrors } from './accounts.js';
import { checkDependantForm } from './persons.js';
import type { Vault } from './vault.js';

/** The most family members an employee can add on one self-intake page. */
export const MAX_NEW_DEPENDANTS = 2;

/** A family member the employee adds on the self-intake page (異動: 扶養に入った日). */
export interface NewDependantInput {
  name?: string;
  kana?: string;
  birthDate?: string;
  relationship?: string;
  since?: string;
  number?: string;
}

/** A change of a current dependant's 氏名・フリガナ・生年月日 typed by the employee; empty fields stay as they are. */
export interface DependantChangeInput {
  name?: string;
  kana?: string;
  birthDate?: string;
  /** The date of the change (異動日), required when anything is changed. */
  on?: string;
}

export interface FamilyChanges {
  /** Dependants on the code no longer supported, with the 異動日. */
  ended: Record<string, string | undefined>;
  added: NewDependantInput[];
  /** Current dependants whose name, kana or birth date changed, by person id. */
  changed?: Record<string, DependantChangeInput>;
}

export interface ParsedFamilyChanges {
  ended: { person: Person; until: string }[];
  added: { draft: ReturnType<typeof checkDependantForm>; since: string; row: number }[];
  changed: { person: Person; draft: ReturnType<typeof checkDependantForm>; fields: string[]; on: string }[];
}

/**
 * Validates the family changes of a self-intake submission against the register's
 * rules (the same checks as the handler's dependant form); errors are keyed by the
 * page's field names (ended_<id>, new_<i>_<field>). Empty rows are ignored.
 */
export function parseFamilyChanges(vault: Pick<Vault, 'clock'>, employee: Person, listed: readonly Person[], input: FamilyChanges, errors: FieldErrors, family: readonly Person[] = []): ParsedFamilyChanges {
  const today = japanDate(vault.clock.now());
  const out: ParsedFamilyChanges = { ended: [], added: [], changed: [] };
  for (const d of family) parseChange(vault, employee, d, input.changed?.[String(d.id)] ?? {}, today, errors, out);
  for (const d of listed) {
    const raw = (input.ended[String(d.id)] ?? '').trim();
    if (!raw) continue;
    const until = parseDate(raw);
    if (!until) errors[`ended_${d.id}`] = '扶養から外れた日を 2026-04-01 の形で入れてください。';
    else if (until > today) errors[`ended_${d.id}`] = '扶養から外れた日が未来の日付です。';
    else out.ended.push({ person: d, until });
  }
  for (const [i, row] of input.added.slice(0, MAX_NEW_DEPENDANTS).entries()) {
    const typed = [row.name, row.kana, row.birthDate, row.since, row.number].some((v) => (v ?? '').trim() !== '');
    if (!typed) continue;
    let draft: ReturnType<typeof checkDependantForm> | undefined;
    try {
      draft = checkDependantForm(vault, { name: row.name, kana: row.kana, birthDate: row.birthDate, relationship: row.relationship }, employee);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      for (const [k, v] of Object.entries(err.fields)) errors[`new_${i}_${k}`] = v;
    }
    const since = parseDate((row.since ?? '').trim());
    if (!since) errors[`new_${i}_since`] = '扶養に入った日（異動日）を 2026-04-01 の形で入れてください。';
    else if (since > today) errors[`new_${i}_since`] = '扶養に入った日が未来の日付です。';
    // The number (optional) is parsed by the intake with the others (duplicates across the page).
    if (draft && since) out.added.push({ draft, since, row: i });
  }
  return out;
}

/**
 * A listed family member's corrected 氏名・フリガナ・生年月日 (e.g. a marriage), checked by
 * the register's own dependant rules; the 異動日 is required and not in the future.
 * Errors are keyed changed_<id>_<field>.
 */
function parseChange(vault: Pick<Vault, 'clock'>, employee: Person, d: Person, row: DependantChangeInput, today: string, errors: FieldErrors, out: ParsedFamilyChanges): void {
  const typed = (v: string | undefined) => (v ?? '').trim();
  if (![row.name, row.kana, row.birthDate, row.on].some((v) => typed(v) !== '')) return;
  const key = (f: string) => `changed_${d.id}_${f}`;
  const on = parseDate(typed(row.on));
  if (!typed(row.on)) errors[key('on')] = '変更があった日（異動日）を 2026-04-01 の形で入れてください。';
  else if (!on) errors[key('on')] = '変更があった日（異動日）を 2026-04-01 の形で入れてください。';
  else if (on > today) errors[key('on')] = '変更があった日が未来の日付です。';
  let draft: ReturnType<typeof checkDependantForm> | undefined;
  try {
    draft = checkDependantForm(
      vault,
      { name: typed(row.name) || d.name, kana: typed(row.kana) || (d.kana ?? ''), birthDate: typed(row.birthDate) || (d.birthDate ?? ''), relationship: d.relationship ?? '' },
      employee,
    );
  } catch (err) {
    if (!(err instanceof FormError)) throw err;
    for (const [k, v] of Object.entries(err.fields)) errors[key(k === 'relationship' ? 'name' : k)] ??= v;
  }
  if (!draft || !on) return;
  const fields = (['name', 'kana', 'birthDate'] as const).filter((k) => (d[k] ?? null) !== (draft[k] ?? null));
  if (fields.length === 0) {
    errors[key('name')] = '登録されている内容と同じです。変わった項目だけを入れてください（変更がなければ異動日も空欄にしてください）。';
    return;
  }
  out.changed.push({ person: d, draft, fields, on });
}

/** Writes the changes inside the caller's transaction: each new dependant registered, each 異動 recorded, each audited. */
export function applyFamilyChanges(vault: Pick<Vault, 'persons' | 'audit'>, actor: Actor, employee: Person, c: ParsedFamilyChanges, client: string | null, at: string): Person[] {
  for (const e of c.ended) {
    vault.persons.endDependant(e.person.id, e.until, at);
    vault.audit.append({ actor, action: 'person.dependant_ended', subjects: [{ id: e.person.id, name: e.person.name }], client, detail: { until: e.until, via: 'self_intake' } });
  }
  for (const ch of c.changed) {
    const d = ch.person;
    vault.persons.updatePerson({ id: d.id, code: d.code, name: ch.draft.name, kana: ch.draft.kana, birthDate: ch.draft.birthDate, relationship: d.relationship, corporateNumber: d.corporateNumber }, at);
    // The handler's person page shows this row in the history (actor 「…（本人入力）」); the fields and date are in the detail.
    vault.audit.append({ actor, action: 'person.updated', subjects: [{ id: d.id, name: ch.draft.name }], client, detail: { fields: ch.fields.join(','), changed_on: ch.on, via: 'self_intake' } });
  }
  const added: Person[] = [];
  for (const a of c.added) {
    const id: PersonId = vault.persons.nextId();
    const person: Person = {
      id, kind: 'dependant', code: null, name: a.draft.name, kana: a.draft.kana, birthDate: a.draft.birthDate, relationship: a.draft.relationship,
      supporterId: employee.id, corporateNumber: null, status: 'active', retiredOn: null,
    };
    vault.persons.insertPerson(person, at);
    vault.audit.append({ actor, action: 'person.registered', subjects: [{ id, name: person.name }], client, detail: { kind: 'dependant', since: a.since, via: 'self_intake' } });
    added.push(person);
  }
  return added;
}
