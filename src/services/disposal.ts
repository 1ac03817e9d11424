import { actorOf } from './accounts.js';
import { japanDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import type { PersonId } from '../domain/persons.js';
import { addDays } from '../domain/retention.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import type { DisposalPersonRow } from '../storage/retention-repo.js';
import type { UserView } from '../domain/users.js';
import { cleanText, dueEntries, type DueEntry } from './retention.js';
import { writeLedger } from './disposal-ledger.js';
import type { Vault } from './vault.js';
import { logEvent } from '../log.js';

/**
 * Disposal (削除・廃棄) in two steps with two people where the company has them:
 * a handler or admin proposes, an admin approves, and the approval destroys
 * the numbers in the same transaction as the disposal record and its events.
 */

export interface ProposalInput {
  /** A whole batch by its date (YYYY-MM-DD), or … */
  batch?: string | undefined;
  /** … chosen persons. */
  personIds?: readonly string[] | undefined;
  note?: string | undefined;
}

/** Persons not disposable now, named in a message (no number ever appears in one). */
function refuse(code: 'invalid' | 'conflict', lead: string, names: readonly string[]): never {
  const shown = names.slice(0, 10).join('、') + (names.length > 10 ? ` ほか${names.length - 10}名` : '');
  throw new AppError(code, `${lead}: ${shown}`);
}

/** Proposes disposing of a batch or of chosen persons. Audited as disposal.proposed. Returns the disposal id. */
/**
 * Retention "due" is decided by the clock, and disposal cannot be undone: a
 * clock behind the newest audit event (stepped back, or a dead RTC battery)
 * could make numbers due early, so nothing is proposed or approved then.
 */
function refuseIfClockBehind(vault: Pick<Vault, 'audit'>, now: string): void {
  const last = vault.audit.lastAt();
  if (last && now < last) {
    throw new AppError(
      'conflict',
      `装置の時計（${now}）が最新の監査記録の時刻（${last}）より前になっています。廃棄は取り消せないため、時計を合わせる（NTP の設定を確認する）まで提案・承認できません。`,
    );
  }
}

export function proposeDisposal(vault: Pick<Vault, 'db' | 'persons' | 'roles' | 'retention' | 'audit' | 'clock'>, user: UserView, input: ProposalInput, client: string | null): number {
  if (user.role !== 'admin' && user.role !== 'handler') throw new AppError('forbidden', '廃棄の提案は事務取扱担当者または事務取扱責任者だけが行えます。');
  const note = cleanText(input.note, 'note', 'メモ', 500, false);
  const wanted = parseSelection(input);
  const actor = actorOf(user);
  const at = vault.clock.now().toISOString();
  refuseIfClockBehind(vault, at);
  return writeTransaction(vault.db, () => {
    const due = dueEntries(vault, wanted.ids);
    let chosen: DueEntry[];
    if (wanted.ids) {
      const found = new Map(due.map((e) => [e.id, e]));
      const missing = wanted.ids.filter((id) => !found.has(id));
      if (missing.length > 0) {
        refuse('invalid', '保管期間が終わっていない人物、または個人番号を保管していない人物が含まれています', missing.map((id) => vault.persons.byId(id)?.name ?? `#${id}`));
      }
      chosen = wanted.ids.map((id) => found.get(id)!);
      const held = chosen.filter((e) => e.hold);
      if (held.length > 0) refuse('conflict', '廃棄の保留中の人物は提案できません', held.map((e) => e.name));
      const open = chosen.filter((e) => e.proposedIn !== null);
      if (open.length > 0) refuse('conflict', '承認待ちの別の廃棄提案に含まれている人物がいます', open.map((e) => e.name));
    } else {
      chosen = due.filter((e) => e.batch.date === wanted.batch && !e.hold && e.proposedIn === null);
      if (chosen.length === 0) throw new AppError('invalid', 'この期の廃棄対象で、提案できる人物はいません（保留中・提案済みを除く）。廃棄対象一覧を開き直してください。');
    }
    const batches = [...new Set(chosen.map((e) => e.batch.label))];
    const batch = batches.length === 1 ? batches[0]! : `${batches[0]} ほか（個別選択）`;
    const persons: DisposalPersonRow[] = chosen.map((e) => ({ personId: e.id, personName: e.name, retentionEnd: e.retention.end, rules: e.retention.governing.map((r) => r.code) }));
    const id = vault.retention.insertDisposal({ batch, note, proposedBy: user.id, proposedByName: user.displayName, proposedAt: at }, persons);
    vault.audit.append({
      actor,
      action: 'disposal.proposed',
      subjects: chosen.map((e) => ({ id: e.id, name: e.name })),
      client,
      detail: { disposal_id: id, batch, count: chosen.length, note },
    });
    return id;
  });
}

function parseSelection(input: ProposalInput): { ids?: PersonId[]; batch?: string } {
  const ids = input.personIds ?? [];
  if (ids.length > 0) {
    const parsed = ids.map((s) => (/^[1-9][0-9]{0,15}$/u.test(s) ? Number(s) : NaN));
    if (parsed.some((n) => !Number.isSafeInteger(n))) throw new AppError('invalid', '選択された人物の指定が正しくありません。廃棄対象一覧を開き直してください。');
    return { ids: [...new Set(parsed)] };
  }
  if (input.batch && /^\d{4}-\d{2}-\d{2}$/u.test(input.batch)) return { batch: input.batch };
  throw new AppError('invalid', '廃棄する期（まとめて提案）か、人物（個別に選択）を指定してください。');
}

export interface ApprovalResult {
  disposalId: number;
  count: number;
  samePerson: boolean;
  /** False if the WAL could not be emptied (a reader held it); it is retried when the vault closes. */
  checkpointed: boolean;
  /** False if the disposal ledger could not be written beside the database or into the backup folder. */
  ledgerWritten: boolean;
}

/**
 * Approves a proposed disposal and destroys its numbers, in one transaction:
 * disposal.approved, each number's sealed box and keyed index set to NULL
 * (secure_delete zeroes them), the record marked executed, and one
 * number.disposed event naming every person. Then the WAL is checkpointed and
 * truncated so no old page with a sealed number stays in it. If any event
 * cannot be written, nothing is destroyed.
 *
 * The event's proposed_by and approved_by are user ids (the certificate maps them to names).
 *
 * Only an admin approves. When more than one admin can sign in, the proposer
 * may not approve; a sole admin may, and the record says so (same_person).
 * Each person is checked again: still held, not on hold, still due.
 */
export function approveDisposal(vault: Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'keys' | 'meta' | 'persons' | 'roles' | 'retention' | 'audit' | 'clock'>, user: UserView, disposalId: number, client: string | null): ApprovalResult {
  if (user.role !== 'admin') throw new AppError('forbidden', '廃棄の承認は事務取扱責任者（管理者）だけが行えます。');
  const actor = actorOf(user);
  const now = vault.clock.now();
  const at = now.toISOString();
  refuseIfClockBehind(vault, at);
  const result = writeTransaction(vault.db, () => {
    const d = vault.retention.disposal(disposalId) ?? notFound();
    if (d.state !== 'proposed') throw new AppError('conflict', d.state === 'executed' ? 'この廃棄は既に実行されています。' : 'この廃棄提案は取り消されています。');
    const samePerson = d.proposedBy === user.id;
    if (samePerson && (vault.retention.activeAdminCount() > 1 || vault.retention.adminsDisabledSince(d.proposedAt, user.id) > 0)) {
      throw new AppError('forbidden', '提案した本人は承認できません。事務取扱責任者が複数いる（または提案後に無効にされた）ため、別の責任者が承認してください。');
    }
    const persons = vault.retention.disposalPersons(disposalId);
    const due = new Map(dueEntries(vault, persons.map((p) => p.personId)).map((e) => [e.id, e]));
    const gone = persons.filter((p) => !due.has(p.personId));
    if (gone.length > 0) refuse('conflict', '提案後に状況が変わり、廃棄できなくなった人物がいます（保管期間の変更・番号の再登録・廃棄済みなど）。提案を取り消して作り直してください', gone.map((p) => p.personName));
    const held = persons.filter((p) => due.get(p.personId)!.hold);
    if (held.length > 0) refuse('conflict', '廃棄の保留中の人物が含まれています。保留を解除するか、提案を取り消して作り直してください', held.map((p) => p.personName));

    const subjects = persons.map((p) => ({ id: p.personId, name: due.get(p.personId)!.name }));
    vault.audit.append({ actor, action: 'disposal.approved', subjects, client, detail: { disposal_id: disposalId, batch: d.batch, count: persons.length, same_person: samePerson } });
    for (const p of persons) {
      if (!vault.retention.destroyNumber(p.personId, at)) throw new AppError('conflict', '個人番号の状態が変わったため、廃棄を中止しました。もう一度お試しください。');
    }
    const backupRetentionDays = vault.retention.setting('backup_retention_days');
    vault.retention.markExecuted(disposalId, { approvedBy: user.id, approvedByName: user.displayName, at, samePerson, backupsAgedOutOn: addDays(japanDate(now), backupRetentionDays) });
    vault.audit.append({
      actor,
      action: 'number.disposed',
      subjects,
      client,
      detail: { disposal_id: disposalId, proposed_by: d.proposedBy, approved_by: user.id, reason: reasonOf(vault, persons, d.note), batch: d.batch },
    });
    return { disposalId, count: persons.length, samePerson };
  });
  return { ...result, checkpointed: checkpointTruncate(vault.db), ledgerWritten: writeLedgers(vault) };
}

/**
 * Writes the disposal ledger beside the database and into the backup folder
 * (services/disposal-ledger.ts), after a disposal or an erasure. The change has committed already; a
 * failure is logged and reported, and the next backup writes the ledger again.
 */
export function writeLedgers(vault: Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'keys' | 'meta' | 'retention'>): boolean {
  const folders = [vault.dataDir, vault.meta.get('backup_dir')].filter((f): f is string => !!f);
  let ok = true;
  for (const f of folders) {
    try {
      writeLedger(vault, f);
    } catch (cause) {
      ok = false;
      logEvent('error', 'disposal ledger not written', { error: (cause as Error)?.name ?? typeof cause });
    }
  }
  return ok;
}

/** The reason written into number.disposed: the rules that ended, and the proposal's note. */
function reasonOf(vault: Pick<Vault, 'retention'>, persons: readonly DisposalPersonRow[], note: string | null): string {
  const rules = new Map(vault.retention.rules().map((r) => [r.code, r]));
  const used = [...new Set(persons.flatMap((p) => p.rules))].map((c) => rules.get(c)).filter((r) => r !== undefined);
  const names = used.map((r) => `${r.name} ${r.years}年`).join('、');
  return `保管期間の経過${names ? `（${names}）` : ''}${note ? `／${note}` : ''}`;
}

/** Withdraws a proposal (by its proposer or an admin). Audited as disposal.cancelled. */
export function cancelDisposal(vault: Pick<Vault, 'db' | 'retention' | 'audit' | 'clock'>, user: UserView, disposalId: number, client: string | null): void {
  writeTransaction(vault.db, () => {
    const d = vault.retention.disposal(disposalId) ?? notFound();
    if (d.state !== 'proposed') throw new AppError('conflict', '承認待ちの提案だけを取り消せます。');
    if (user.role !== 'admin' && d.proposedBy !== user.id) throw new AppError('forbidden', '提案を取り消せるのは、提案した本人か事務取扱責任者です。');
    vault.retention.cancel(disposalId, user.id, vault.clock.now().toISOString());
    const persons = vault.retention.disposalPersons(disposalId);
    vault.audit.append({ actor: actorOf(user), action: 'disposal.cancelled', subjects: persons.map((p) => ({ id: p.personId, name: p.personName })), client, detail: { disposal_id: disposalId, batch: d.batch } });
  });
}

function notFound(): never {
  throw new AppError('not_found', '指定された廃棄の記録はありません。');
}
