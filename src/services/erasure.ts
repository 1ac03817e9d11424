import { canonical } from '../audit/chain.js';
import { encodeRedactions } from '../audit/subject-names.js';
import type { Actor } from '../domain/audit-events.js';
import { japanDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { erasureVerdict, tombstoneName, type ErasureVerdict, type RoleRetention } from '../domain/erasure.js';
import { PERSON_KIND_LABEL, type Person, type PersonId } from '../domain/persons.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import { ErasureRepo, type ErasureRow } from '../storage/erasure-repo.js';
import type { UserView } from '../domain/users.js';
import { actorOf } from './accounts.js';
import { writeLedgers } from './disposal.js';
import { retentionFactsOf } from './retention.js';
import type { Vault } from './vault.js';

/**
 * Erasure (個人データの削除) of a person after disposal, in two steps as
 * disposal is: an admin proposes, another admin approves (a sole admin may
 * approve their own, recorded as same_person). Approval rewrites the person
 * as a 「削除済」 tombstone, scrubs their records, deletes their names and
 * salt beside the audit chain, and appends 'person.erased' — one transaction.
 * The rule is domain/erasure.ts; the design of the trail docs/erasure.md.
 */

export function erasureRepo(vault: Pick<Vault, 'db'>): ErasureRepo {
  return new ErasureRepo(vault.db);
}

/** Each role's retention inputs: the primary role (persons row) and every further role. */
function roleRetentions(vault: Pick<Vault, 'persons' | 'roles' | 'retention'>, p: Person): RoleRetention[] {
  const supporterOf = (id: PersonId | null) => (id === null ? undefined : vault.persons.byId(id));
  const out: RoleRetention[] = [{ role: p.kind, label: PERSON_KIND_LABEL[p.kind], facts: retentionFactsOf(vault, p, supporterOf(p.supporterId)) }];
  for (const r of vault.roles.forPerson(p.id)) {
    const s = supporterOf(r.supporterId);
    const sRetired = s?.status === 'retired';
    out.push({
      role: r.role,
      label: PERSON_KIND_LABEL[r.role],
      facts: {
        kind: r.role,
        status: r.endedOn ? 'retired' : 'active',
        retiredOn: r.endedOn,
        dependantUntil: r.role === 'dependant' ? r.endedOn : null,
        supporterRetiredOn: sRetired ? s.retiredOn : null,
        lastPaidOn: r.lastPaidOn,
        supporterLastPaidOn: sRetired ? vault.retention.lastPaidOn(s.id) : null,
      },
    });
  }
  return out;
}

/** Whether the person may be erased today, and from when (the person page and the confirmation show it). */
export function erasureCheck(vault: Pick<Vault, 'db' | 'persons' | 'roles' | 'retention' | 'auditRepo' | 'clock'>, personId: PersonId): { person: Person; verdict: ErasureVerdict; erasure: ErasureRow | null; legacyRows: number } {
  const p = vault.persons.byId(personId) ?? notFound();
  const repo = erasureRepo(vault);
  const verdict = erasureVerdict(
    { numberState: vault.persons.numberOf(p.id)?.state ?? null, roles: roleRetentions(vault, p), held: vault.retention.holdOf(p.id) !== undefined, erased: repo.isErased(p.id) },
    vault.retention.rules(),
    japanDate(vault.clock.now()),
  );
  return { person: p, verdict, erasure: repo.ofPerson(p.id) ?? null, legacyRows: vault.auditRepo.names.legacyRowsNaming(p.id) };
}

function refuseUnlessAllowed(verdict: ErasureVerdict): void {
  if (!verdict.ok) throw new AppError('conflict', `この人物の個人データはまだ削除できません。${verdict.reason}`);
}

/** Proposes erasing a person (admins). Audited as 'person.erasure_proposed'. Returns the erasure id. */
export function proposeErasure(vault: Pick<Vault, 'db' | 'persons' | 'roles' | 'retention' | 'auditRepo' | 'audit' | 'clock'>, user: UserView, personId: PersonId, client: string | null): number {
  if (user.role !== 'admin') throw new AppError('forbidden', '個人データの削除は事務取扱責任者（管理者）だけが提案・承認できます。');
  const at = vault.clock.now().toISOString();
  return writeTransaction(vault.db, () => {
    const c = erasureCheck(vault, personId);
    refuseUnlessAllowed(c.verdict);
    if (c.erasure?.state === 'proposed') throw new AppError('conflict', 'この人物の削除は既に提案され、承認を待っています。');
    const id = erasureRepo(vault).insert(personId, user.id, user.displayName, at);
    vault.audit.append({ actor: actorOf(user), action: 'person.erasure_proposed', subjects: [{ id: c.person.id, name: c.person.name }], client, detail: { erasure_id: id } });
    return id;
  });
}

/**
 * Approves and executes an erasure. Only an admin; when more than one admin
 * can sign in, not the proposer (the same four-eyes rule as disposal). The
 * rule is checked again inside the transaction. Irreversible: the names are
 * overwritten (secure_delete) and the WAL is checkpointed afterwards.
 */
export function approveErasure(vault: Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'keys' | 'meta' | 'persons' | 'roles' | 'retention' | 'auditRepo' | 'audit' | 'clock'>, user: UserView, erasureId: number, client: string | null): { personId: PersonId; samePerson: boolean; checkpointed: boolean } {
  if (user.role !== 'admin') throw new AppError('forbidden', '個人データの削除は事務取扱責任者（管理者）だけが承認できます。');
  const at = vault.clock.now().toISOString();
  const repo = erasureRepo(vault);
  const result = writeTransaction(vault.db, () => {
    const e = repo.byId(erasureId) ?? notFound();
    if (e.state !== 'proposed') throw new AppError('conflict', e.state === 'executed' ? 'この削除は既に実行されています。' : 'この削除の提案は取り消されています。');
    const samePerson = e.proposedBy === user.id;
    if (samePerson && (vault.retention.activeAdminCount() > 1 || vault.retention.adminsDisabledSince(e.proposedAt, user.id) > 0)) {
      throw new AppError('forbidden', '提案した本人は承認できません。事務取扱責任者が複数いる（または提案後に無効にされた）ため、別の責任者が承認してください。');
    }
    const c = erasureCheck(vault, e.personId);
    refuseUnlessAllowed(c.verdict);
    const erased = eraseData(vault, c.person.id, at);
    repo.markExecuted(erasureId, user.id, user.displayName, at, samePerson);
    vault.audit.append({
      actor: actorOf(user),
      action: 'person.erased',
      subjects: [{ id: c.person.id, name: tombstoneName(c.person.id) }],
      client,
      detail: { erasure_id: erasureId, proposed_by: e.proposedBy, approved_by: user.id, same_person: samePerson, ...erased },
    });
    return { personId: e.personId, samePerson };
  });
  const checkpointed = checkpointTruncate(vault.db);
  writeLedgers(vault);
  return { ...result, checkpointed };
}

/**
 * Rewrites the person as a tombstone, scrubs their records, deletes their
 * names and salt beside the chain, and rewrites the version-1 rows that hold
 * their name. Returns what the 'person.erased' event records and attests.
 */
function eraseData(vault: Pick<Vault, 'db' | 'persons' | 'auditRepo'>, personId: PersonId, at: string): { trail_names_erased: number; legacy_rows: number; redacted_v1: string } {
  if (vault.persons.byId(personId)) {
    vault.persons.updatePerson({ id: personId, code: null, name: tombstoneName(personId), kana: null, birthDate: null, relationship: null, corporateNumber: null }, at);
  }
  erasureRepo(vault).scrubRecords(personId);
  const names = vault.auditRepo.names.erase(personId);
  const redacted = vault.auditRepo.names.redactLegacyRows(personId, canonical);
  return { trail_names_erased: names, legacy_rows: redacted.length, redacted_v1: encodeRedactions(redacted) };
}

/** Withdraws a proposal (its proposer or another admin). Audited as 'person.erasure_cancelled'. */
export function cancelErasure(vault: Pick<Vault, 'db' | 'persons' | 'audit' | 'clock'>, user: UserView, erasureId: number, client: string | null): void {
  if (user.role !== 'admin') throw new AppError('forbidden', '削除の提案を取り消せるのは事務取扱責任者だけです。');
  writeTransaction(vault.db, () => {
    const repo = erasureRepo(vault);
    const e = repo.byId(erasureId) ?? notFound();
    if (e.state !== 'proposed') throw new AppError('conflict', '承認待ちの提案だけを取り消せます。');
    repo.cancel(erasureId, user.id, vault.clock.now().toISOString());
    const p = vault.persons.byId(e.personId)!;
    vault.audit.append({ actor: actorOf(user), action: 'person.erasure_cancelled', subjects: [{ id: p.id, name: p.name }], client, detail: { erasure_id: erasureId } });
  });
}

/**
 * Re-applies, in a restored vault, the erasures of the ledger the backup does
 * not include ('person.erased' by the restoring actor, detail reapplied).
 * Returns the erasure ids re-applied.
 */
export function reapplyErasures(vault: Pick<Vault, 'db' | 'persons' | 'auditRepo' | 'audit' | 'clock'>, erasures: readonly { id: number; personId: number; executedAt: string }[], actor: Actor): number[] {
  const repo = erasureRepo(vault);
  const have = new Set([...repo.executed().map((e) => e.id), ...repo.reapplied().map((e) => e.id)]);
  const missing = erasures.filter((e) => !have.has(e.id));
  if (missing.length === 0) return [];
  const at = vault.clock.now().toISOString();
  writeTransaction(vault.db, () => {
    for (const e of missing) {
      const erased = eraseData(vault, e.personId, at);
      repo.recordReapplied(e.id, e.personId, e.executedAt, at);
      vault.audit.append({ actor, action: 'person.erased', subjects: [{ id: e.personId, name: tombstoneName(e.personId) }], detail: { erasure_id: e.id, executed_at: e.executedAt, reapplied: true, ...erased } });
    }
  });
  checkpointTruncate(vault.db);
  return missing.map((e) => e.id);
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物・削除の記録はありません。');
}
