import { checkAgainstWitness, gapMessage, readWitness, writeWitness, type WitnessCheck } from '../audit/head-witness.js';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { logEvent } from '../log.js';
import { AuditBrowseRepo } from '../storage/audit-browse-repo.js';
import { afterCommit, writeTransaction } from '../storage/database.js';
import type { Vault } from './vault.js';

/**
 * Keeps DATA/audit-head at the committed chain head: after every commit that
 * appended an event, the witness is raised to the new head. A witness that
 * cannot be written does not undo the commit (the data is durable); it is
 * logged, and the next commit tries again.
 */
export function trackHead(vault: Pick<Vault, 'db' | 'dataDir' | 'vaultId' | 'audit' | 'auditRepo'>, key: Secret<Buffer>): () => void {
  let dirty = false;
  const offAppend = vault.audit.onAppend(() => void (dirty = true));
  const offCommit = afterCommit(vault.db, () => {
    if (!dirty) return;
    dirty = false;
    try {
      raiseWitness(vault, key);
    } catch (cause) {
      dirty = true;
      logEvent('error', 'audit head witness not written', { error: (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.name ?? 'unknown' });
    }
  });
  return () => {
    offAppend();
    offCommit();
  };
}

/** Writes the current head unless the witness already stands at or past it (another process wrote it). */
export function raiseWitness(vault: Pick<Vault, 'dataDir' | 'vaultId' | 'auditRepo'>, key: Secret<Buffer>): void {
  const head = vault.auditRepo.head();
  if (!head) return;
  let current;
  try {
    current = readWitness(vault.dataDir, key);
  } catch {
    current = undefined; // a damaged witness is replaced by a good one only here, after a commit of ours
  }
  if (current && current.vaultId === vault.vaultId && current.seq >= head.seq) return;
  writeWitness(vault.dataDir, key, { vaultId: vault.vaultId, seq: head.seq, hash: head.hash });
}

export function checkHead(vault: Pick<Vault, 'db' | 'dataDir' | 'vaultId' | 'auditRepo'>, key: Secret<Buffer>): WitnessCheck {
  const browse = new AuditBrowseRepo(vault.db);
  return checkAgainstWitness(vault.vaultId, vault.auditRepo.head(), (seq) => browse.bySeq(seq)?.[11], readWitness(vault.dataDir, key));
}

/**
 * Refuses to go on when the chain is shorter than its witness or differs at
 * the witnessed seq ('tampered', naming the gap). A vault without a witness
 * (made before there was one, or restored into a fresh folder) gets one now.
 */
export function guardHead(vault: Vault, key: Secret<Buffer>): void {
  const check = checkHead(vault, key);
  if (!check.ok) throw new AppError('tampered', gapMessage(vault.dataDir, check.reason));
  if (!check.witness && !vault.db.readonly) raiseWitness(vault, key);
}

/**
 * The operator's override after a restore or a crash that lost the WAL:
 * records what the witness said against what the chain holds
 * ('audit.head_accepted'), then sets the witness to the new head.
 */
export function acceptHead(vault: Vault, key: Secret<Buffer>, actor: Actor): { before: WitnessCheck; seq: number } {
  let before: WitnessCheck;
  try {
    before = checkHead(vault, key);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    before = { ok: false, witness: { vaultId: '', seq: 0, hash: Buffer.alloc(0) }, reason: err.publicMessage };
  }
  const chainSeq = vault.auditRepo.head()?.seq ?? 0;
  const head = writeTransaction(vault.db, () =>
    vault.audit.append({
      actor,
      action: 'audit.head_accepted',
      detail: {
        chain_seq: chainSeq,
        witness_seq: before.witness?.seq ?? 0,
        witness_vault: before.witness?.vaultId ?? '',
        reason: before.ok ? 'consistent' : before.reason,
      },
    }),
  );
  writeWitness(vault.dataDir, key, { vaultId: vault.vaultId, seq: head.seq, hash: head.hash });
  return { before, seq: head.seq };
}
