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

export interface FamilyChanges {
  /** Dependants on the code no longer supported, with the 異動日. */
  ended: Record<string, string | undefined>;
  added: NewDependantInput[];
}

export interface ParsedFamilyChanges {
  ended: { person: Person; until: string }[];
  added: { draft: ReturnType<typeof checkDependantForm>; since: string; row: number }[];
}

/**
 * Validates the family changes of a self-intake submission against the register's
 * rules (the same checks as the handler's dependant form); errors are keyed by the
 * page's field names (ended_<id>, new_<i>_<field>). Empty rows are ignored.
 */
export function parseFamilyChanges(vault: Vault, employee: Person, listed: readonly Person[], input: FamilyChanges, errors: FieldErrors): ParsedFamilyChanges {
  const today = japanDate(vault.clock.now());
  const out: ParsedFamilyChanges = { ended: [], added: [] };
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

/** Writes the changes inside the caller's transaction: each new dependant registered, each 異動 recorded, each audited. */
export function applyFamilyChanges(vault: Vault, actor: Actor, employee: Person, c: ParsedFamilyChanges, client: string | null, at: string): Person[] {
  for (const e of c.ended) {
    vault.persons.endDependant(e.person.id, e.until, at);
    vault.audit.append({ actor, action: 'person.dependant_ended', subjects: [{ id: e.person.id, name: e.person.name }], client, detail: { until: e.until, via: 'self_intake' } });
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
