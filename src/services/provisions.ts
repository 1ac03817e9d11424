import type { Actor, AuditSubject } from '../domain/audit-events.js';
import { japanDate, parseDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { isProvisionChannel, isProvisionDestination } from '../domain/provision.js';
import { writeTransaction } from '../storage/database.js';
import { ProvisionRepo, type ExportRow, type ProvisionRow } from '../storage/provision-repo.js';
import { FormError, type FieldErrors } from './accounts.js';
import type { Vault } from './vault.js';

/** The part of the vault `recordProvision` and `confirmFileDeleted` use. */
export type ProvisionStore = Pick<Vault, 'db' | 'audit' | 'clock'>;

export interface ExportRecord extends ExportRow {
  provisions: ProvisionRow[];
  deletion: { confirmedBy: string; confirmedAt: string } | null;
}

/** Exports with where they went and whether their file was deleted, newest first. */
export function exportRecords(vault: Pick<Vault, 'db'>): ExportRecord[] {
  const repo = new ProvisionRepo(vault.db);
  return repo.exports().map((e) => ({ ...e, provisions: repo.provisionsOf(e.seq), deletion: repo.deletionOf(e.seq) ?? null }));
}

export function exportRecord(vault: Pick<Vault, 'db'>, seq: number): ExportRecord & { subjects: AuditSubject[] } {
  const repo = new ProvisionRepo(vault.db);
  const e = repo.exportBySeq(seq);
  if (!e) throw new AppError('not_found', '指定された出力の記録はありません。');
  return { ...e, subjects: JSON.parse(e.subjects) as AuditSubject[], provisions: repo.provisionsOf(seq), deletion: repo.deletionOf(seq) ?? null };
}

export interface ProvisionForm {
  destination?: string | undefined;
  channel?: string | undefined;
  providedOn?: string | undefined;
}

/**
 * Records one 提供・提出 of an export: destination, channel and date. The
 * event names the export's persons, so each person's history shows where
 * their number went. Audited as export.provided.
 */
export function recordProvision(vault: ProvisionStore, actor: Actor, exportSeq: number, form: ProvisionForm, client: string | null): number {
  const repo = new ProvisionRepo(vault.db);
  const e = repo.exportBySeq(exportSeq);
  if (!e) throw new AppError('not_found', '指定された出力の記録はありません。');
  const errors: FieldErrors = {};
  const destination = form.destination ?? '';
  const channel = form.channel ?? '';
  if (!isProvisionDestination(destination)) errors.destination = '提供・提出先を一覧から選んでください。';
  if (!isProvisionChannel(channel)) errors.channel = '提出の方法を一覧から選んでください。';
  const providedOn = form.providedOn ? parseDate(form.providedOn) : undefined;
  const exportedOn = japanDate(new Date(e.at));
  if (!providedOn) errors.providedOn = '提出日を 2027-01-31 や 令和9年1月31日 の形で入れてください。';
  else if (providedOn < exportedOn) errors.providedOn = '提出日が出力した日より前です。';
  else if (providedOn > japanDate(vault.clock.now())) errors.providedOn = '提出日が未来の日付です。提出した後に記録してください。';
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  return writeTransaction(vault.db, () => {
    const id = repo.insertProvision({ exportSeq, destination: destination as never, channel: channel as never, providedOn: providedOn!, recordedBy: actor.id, recordedAt: vault.clock.now().toISOString() });
    vault.audit.append({
      actor,
      action: 'export.provided',
      purpose: e.purpose,
      subjects: JSON.parse(e.subjects) as AuditSubject[],
      client,
      detail: { export_seq: exportSeq, destination, channel, provided_on: providedOn!, persons: e.persons },
    });
    return id;
  });
}

/**
 * Closes the 持出し of an export: the handler confirms the exported file was
 * deleted from the PC and any medium. Audited as export.file_deleted; once only.
 */
export function confirmFileDeleted(vault: ProvisionStore, actor: Actor, exportSeq: number, confirmed: boolean, client: string | null): void {
  const repo = new ProvisionRepo(vault.db);
  const e = repo.exportBySeq(exportSeq);
  if (!e) throw new AppError('not_found', '指定された出力の記録はありません。');
  if (!confirmed) throw new FormError({ confirmed: '出力したファイル（パソコン・媒体の中のもの）を削除してから、確認の欄に印を付けてください。' });
  writeTransaction(vault.db, () => {
    if (!repo.confirmDeletion(exportSeq, actor.id, vault.clock.now().toISOString())) throw new AppError('conflict', 'この出力のファイルは既に削除を確認済みです。');
    vault.audit.append({ actor, action: 'export.file_deleted', purpose: e.purpose, client, detail: { export_seq: exportSeq, persons: e.persons } });
  });
}
