import type { Actor } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import type { Person, PersonId } from '../domain/persons.js';
import { purposeUse, type PurposeUseFacts, type PurposeVerdict } from '../domain/purpose-use.js';
import type { PersonRole } from '../domain/roles.js';
import { findPurpose, isPurposeCode, type Purpose } from '../domain/purposes.js';
import { writeTransaction } from '../storage/database.js';
import { FormError } from './accounts.js';
import type { Vault } from './vault.js';

/** The part of the vault `purposeVerdicts`, `purposeVerdict` and `requirePurposeUse` use. */
export type PurposeReader = Pick<Vault, 'persons' | 'purposeNotices' | 'roles' | 'clock'>;

/** The part of the vault `notifyPurposes` and `coApproveUse` use. */
export type PurposeStore = Pick<Vault, 'db' | 'persons' | 'purposeNotices' | 'roles' | 'audit' | 'clock'>;

/** How long an admin's co-approval of a later use stays usable. */
export const CO_APPROVAL_DAYS = 7;

type Lookup = (id: PersonId) => Person | undefined;

/** 退職日 / 取引終了日; for a dependant the 異動日 or the supporter's 退職日, whichever came first. */
function endedOn(person: Person, dependantUntil: string | null, byId: Lookup): string | null {
  if (person.kind !== 'dependant') return person.status === 'retired' ? person.retiredOn : null;
  const supporter = person.supporterId === null ? undefined : byId(person.supporterId);
  return earliest(dependantUntil, supporter?.status === 'retired' ? supporter.retiredOn : null);
}

function earliest(...dates: (string | null)[]): string | null {
  return dates.filter((d): d is string => d !== null).sort()[0] ?? null;
}

/** The facts a use is judged on, from what the caller has loaded (one person, or a batch). */
function factsOf(person: Person, dependantUntil: string | null, notified: Iterable<string>, roles: readonly PersonRole[], byId: Lookup): PurposeUseFacts {
  return {
    kind: person.kind,
    endedOn: endedOn(person, dependantUntil, byId),
    notified: [...notified],
    // A dependant role also ends with its supporter's 退職.
    otherRoles: roles.map((r) => {
      const supporter = r.supporterId === null ? undefined : byId(r.supporterId);
      return { kind: r.role, endedOn: earliest(r.endedOn, supporter?.status === 'retired' ? supporter.retiredOn : null) };
    }),
  };
}

/** Every purpose notified to the person: at intake and by later 追加通知. */
export function notifiedPurposes(vault: Pick<Vault, 'persons' | 'purposeNotices'>, personId: PersonId): string[] {
  const set = new Set(vault.persons.numberOf(personId)?.purposes ?? []);
  for (const n of vault.purposeNotices.forPerson(personId)) for (const c of n.purposes) set.add(c);
  return [...set];
}

export function purposeFacts(vault: Pick<Vault, 'persons' | 'purposeNotices' | 'roles'>, person: Person): PurposeUseFacts {
  return factsOf(person, vault.persons.dependantUntil(person.id), notifiedPurposes(vault, person.id), vault.roles.forPerson(person.id), (id) => vault.persons.byId(id));
}

/**
 * The same decision for many persons at once (an export set): persons,
 * notices and roles are read once, so a set of thousands takes a few queries.
 */
export function purposeVerdicts(vault: PurposeReader): (personId: PersonId, code: string) => { person: Person; verdict: PurposeVerdict } {
  const persons = vault.persons.allById();
  const notified = vault.purposeNotices.notifiedAll();
  const roles = vault.roles.allByPerson();
  const byId: Lookup = (id) => persons.get(id)?.person;
  const today = japanDate(vault.clock.now());
  return (personId, code) => {
    const p = persons.get(personId) ?? notFound();
    return { person: p.person, verdict: purposeUse(factsOf(p.person, p.dependantUntil, notified.get(personId) ?? [], roles.get(personId) ?? [], byId), code, today) };
  };
}

/** Every kind the person holds: the primary one first, then other roles. */
export function kindsOf(vault: Pick<Vault, 'roles'>, person: Person): Person['kind'][] {
  return [...new Set([person.kind, ...vault.roles.forPerson(person.id).map((r) => r.role)])];
}

export function purposeVerdict(vault: PurposeReader, person: Person, code: string): PurposeVerdict {
  return purposeUse(purposeFacts(vault, person), code, japanDate(vault.clock.now()));
}

/**
 * Asks the domain whether this use is allowed; throws a forbidden error naming
 * the rule when it is not. A use after the relationship ended passes with an
 * open admin co-approval, whose id is returned so the caller can use it up in
 * its own transaction.
 */
export function requirePurposeUse(vault: PurposeReader, person: Person, code: string): { purpose: Purpose; coApprovalId: number | null } {
  const v = purposeVerdict(vault, person, code);
  if (v.allowed) return { purpose: v.purpose, coApprovalId: null };
  if (v.coApprovable) {
    const open = vault.purposeNotices.openCoApproval(person.id, code, vault.clock.now().toISOString());
    if (open) return { purpose: findPurpose(code)!, coApprovalId: open.id };
  }
  const name = findPurpose(code)?.name ?? '';
  const what = v.reason === 'unknown' ? '利用目的を一覧から選んでください。' : `「${name}」には使えません: ${v.message}。`;
  throw new AppError('forbidden', `${person.name} さんの個人番号は${what}`);
}

function purposeList(kinds: readonly Person['kind'][], codes: readonly string[]): string[] {
  const chosen = [...new Set(codes)];
  if (chosen.length === 0) throw new FormError({ purposes: '通知する利用目的を1つ以上選んでください。' });
  for (const c of chosen) {
    const p = isPurposeCode(c) ? findPurpose(c) : undefined;
    if (!p || !kinds.some((k) => (p.appliesTo as readonly string[]).includes(k))) throw new FormError({ purposes: 'この人物に使えない利用目的が含まれています。一覧から選んでください。' });
  }
  return chosen;
}

/**
 * 利用目的の追加通知: the handler has handed the person a new 利用目的通知書 for
 * purposes not yet notified. Records the notice with its 通知日 and
 * 'purpose.notified' together; returns the notice id (the notice prints from it).
 */
export function notifyPurposes(vault: PurposeStore, actor: Actor, personId: PersonId, input: { purposes: string[]; notifiedOn?: string }, client: string | null): number {
  const person = vault.persons.byId(personId) ?? notFound();
  const kinds = kindsOf(vault, person);
  const purposes = purposeList(kinds, input.purposes);
  const already = new Set(notifiedPurposes(vault, person.id));
  const added = purposes.filter((c) => !already.has(c));
  if (added.length === 0) throw new FormError({ purposes: '選んだ利用目的は、すべて既に通知済みです。' });
  const today = japanDate(vault.clock.now());
  const notifiedOn = input.notifiedOn ? parseDate(input.notifiedOn) : today;
  if (!notifiedOn) throw new FormError({ notifiedOn: '通知日を 2026-04-01 の形で入れてください。' });
  if (notifiedOn > today) throw new FormError({ notifiedOn: '通知日が未来の日付です。通知書を渡した日を入れてください。' });
  const at = vault.clock.now().toISOString();
  // One notice per role the purposes concern (the primary role first), so each role's purposes stand apart.
  const byRole = new Map<Person['kind'], string[]>();
  for (const c of added) {
    const role = kinds.find((k) => (findPurpose(c)!.appliesTo as readonly string[]).includes(k))!;
    byRole.set(role, [...(byRole.get(role) ?? []), c]);
  }
  return writeTransaction(vault.db, () => {
    let first = 0;
    for (const [role, codes] of byRole) {
      const id = vault.purposeNotices.insert({ personId: person.id, role, purposes: codes, notifiedOn, via: 'additional', actorId: actor.id, createdAt: at });
      first ||= id;
      vault.audit.append({ actor, action: 'purpose.notified', subjects: [{ id: person.id, name: person.name }], client, detail: { notice_id: id, role, purposes: codes.join(','), notified_on: notifiedOn } });
    }
    return first;
  });
}

/**
 * An admin approves one later use (after 退職・取引終了・異動) for a purpose the
 * person was notified of, with a note saying why the 事務 still arises.
 */
export function coApproveUse(vault: PurposeStore, admin: Actor, personId: PersonId, input: { purpose: string; note: string }, client: string | null): void {
  const person = vault.persons.byId(personId) ?? notFound();
  const v = purposeVerdict(vault, person, input.purpose);
  if (v.allowed) throw new AppError('invalid', 'この利用目的は承認なしで使えます。');
  if (!v.coApprovable) throw new AppError('forbidden', `この利用は承認できません: ${v.message}。`);
  const note = (input.note ?? '').normalize('NFKC').trim();
  if (note.length < 4 || note.length > 200 || /[\u0000-\u001f]/u.test(note)) throw new FormError({ note: '承認の理由（この事務がなお生じる理由）を4文字以上200文字以内で書いてください。' });
  if (looksLikeNumber(note)) throw new FormError({ note: '理由に個人番号のような12桁の数字は書かないでください。' });
  const now = vault.clock.now();
  const validUntil = new Date(now.getTime() + CO_APPROVAL_DAYS * 86_400_000).toISOString();
  writeTransaction(vault.db, () => {
    const id = vault.purposeNotices.insertCoApproval({ personId: person.id, purpose: input.purpose, note, approvedBy: admin.id, approvedAt: now.toISOString(), validUntil });
    vault.audit.append({ actor: admin, action: 'purpose.co_approved', subjects: [{ id: person.id, name: person.name }], purpose: input.purpose, client, detail: { approval_id: id, note, valid_until: validUntil } });
  });
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物は登録されていません。');
}
