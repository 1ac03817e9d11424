import type { Actor, AuditSubject } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { checkCorrection, type CorrectionInput } from '../domain/filing-correction.js';
import { checkSubmission, type SubmissionInput } from '../domain/filing-record.js';
import { writeTransaction } from '../storage/database.js';
import { FilingCorrectionsRepo } from '../storage/filing-corrections-repo.js';
import { FilingRecordsRepo, type HandoverRow } from '../storage/filing-records-repo.js';
import { FormError } from './accounts.js';
import type { Vault } from './vault.js';

/** What recording a filing submission, its correction or the file's deletion writes. */
export type FilingRecordStore = Pick<Vault, 'db' | 'audit' | 'clock'>;

const NOT_FOUND = '指定された申告書ファイルの引渡しの記録はありません。';

export type HandoverRecord = HandoverRow & { subjects: AuditSubject[]; purpose: string | null };

export function handoverRecord(vault: Pick<Vault, 'db'>, id: number): HandoverRecord {
  const h = new FilingRecordsRepo(vault.db).byId(id);
  if (!h) throw new AppError('not_found', NOT_FOUND);
  return { ...h, subjects: JSON.parse(h.subjects) as AuditSubject[] };
}

/** A handover's submission record as first made and each 訂正 after it, oldest first. */
export function submissionHistory(vault: Pick<Vault, 'db'>, id: number) {
  return new FilingCorrectionsRepo(vault.db).history(id);
}

/**
 * Records where a handover's file was submitted: the destination's name, the
 * day and the receipt number, checked by the domain (filing-record.ts). Once
 * only. The event names the handover's persons, so each person's history shows
 * where their number went. Audited as filing.submitted in the same transaction.
 */
export function recordFilingSubmission(vault: FilingRecordStore, actor: Actor, id: number, form: SubmissionInput, client: string | null): void {
  const repo = new FilingRecordsRepo(vault.db);
  const h = handoverRecord(vault, id);
  if (h.submittedOn !== null) throw new AppError('conflict', 'この引渡しの提出は既に記録済みです。');
  const checked = checkSubmission(form, h, vault.clock.now());
  if (!checked.ok) throw new FormError(checked.errors);
  const s = checked.value;
  writeTransaction(vault.db, () => {
    if (!repo.recordSubmission(id, s, actor.id, vault.clock.now().toISOString())) throw new AppError('conflict', 'この引渡しの提出は既に記録済みです。');
    vault.audit.append({
      actor,
      action: 'filing.submitted',
      purpose: h.purpose,
      subjects: h.subjects,
      client,
      detail: {
        handover_id: id,
        merged_seq: h.mergedSeq,
        kind: h.kind,
        year: h.year,
        destination: h.destination,
        destination_name: s.destinationName,
        channel: h.channel,
        submitted_on: s.submittedOn,
        receipt_no: s.receiptNo,
        persons: h.persons,
      },
    });
  });
}

/**
 * Closes the 持出し of a handover: the handler confirms the filled file was
 * deleted from the PC and any medium. Audited as filing.file_deleted; once only.
 */
export function confirmFilingFileDeleted(vault: FilingRecordStore, actor: Actor, id: number, confirmed: boolean, client: string | null): void {
  const repo = new FilingRecordsRepo(vault.db);
  const h = handoverRecord(vault, id);
  if (!confirmed) throw new FormError({ confirmed: '番号を入れたファイル（ダウンロードしたZIPと、展開したファイル、USBメモリなどに写したもの）をすべて削除してから、確認の欄に印を付けてください。' });
  writeTransaction(vault.db, () => {
    if (!repo.confirmDeletion(id, actor.id, vault.clock.now().toISOString())) throw new AppError('conflict', 'この引渡しのファイルは既に削除を確認済みです。');
    vault.audit.append({ actor, action: 'filing.file_deleted', purpose: h.purpose, client, detail: { handover_id: id, merged_seq: h.mergedSeq, kind: h.kind, year: h.year, persons: h.persons } });
  });
}

/**
 * Corrects a submission recorded wrongly (訂正): the first record stays as it
 * was written, the correction is appended with its reason, who and when, and
 * becomes the record in force. Only after a submission was recorded; the
 * corrected values obey the first record's rules (filing-correction.ts).
 * Audited as filing.submission_corrected, naming the handover's persons, with
 * the values before and after, in the same transaction.
 */
export function correctFilingSubmission(vault: FilingRecordStore, actor: Actor, id: number, form: CorrectionInput, client: string | null): void {
  const h = handoverRecord(vault, id);
  if (h.submittedOn === null) throw new AppError('conflict', 'この引渡しの提出はまだ記録されていません。訂正ではなく、提出を記録してください。');
  const current = { destinationName: h.destinationName!, submittedOn: h.submittedOn, receiptNo: h.receiptNo };
  const checked = checkCorrection(form, h, current, vault.clock.now());
  if (!checked.ok) throw new FormError(checked.errors);
  const c = checked.value;
  writeTransaction(vault.db, () => {
    // The record in force may have changed since it was read: correct only the one the handler saw.
    const now = handoverRecord(vault, id);
    if (now.corrections !== h.corrections) throw new AppError('conflict', 'この提出の記録は、表示した後に別の人が訂正しました。もう一度開いて確かめてから訂正してください。');
    const e = vault.audit.append({
      actor,
      action: 'filing.submission_corrected',
      purpose: h.purpose,
      subjects: h.subjects,
      client,
      detail: {
        handover_id: id,
        kind: h.kind,
        year: h.year,
        before_destination_name: current.destinationName,
        before_submitted_on: current.submittedOn,
        before_receipt_no: current.receiptNo,
        destination_name: c.destinationName,
        submitted_on: c.submittedOn,
        receipt_no: c.receiptNo,
        reason: c.reason,
      },
    });
    new FilingCorrectionsRepo(vault.db).add(id, e.seq, c, actor.id, vault.clock.now().toISOString());
  });
}
