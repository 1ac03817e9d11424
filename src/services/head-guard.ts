import { checkAgainstWitness, gapMessage, readWitness, writeWitness, type WitnessCheck } from '../audit/head-witness.js';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { logEvent } from '../log.js';
import { readSyslogWitness } from '../audit/syslog-witness.js';
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
  return checkAgainstWitness(vault.vaultId, vault.auditRepo.head(), (seq) => browse.namedBySeq(seq)?.hash, readWitness(vault.dataDir, key));
}

/**
 * Compares the chain with the syslog witness (MNVAULT_SYSLOG_WITNESS, see
 * audit/syslog-witness.ts). Undefined when the file cannot be read (the head
 * file stays the witness; the reason is logged). A witness the operator
 * accepted (the newest 'audit.head_accepted' names its seq and hash) passes:
 * the syslog file keeps the lost events' lines for good.
 */
export function checkSyslogHead(vault: Pick<Vault, 'db' | 'vaultId' | 'auditRepo'>, path: string): WitnessCheck | undefined {
  const read = readSyslogWitness(path, vault.vaultId);
  if (read.state === 'unreadable') {
    logEvent('warn', 'syslog witness not readable', { error: read.code });
    return undefined;
  }
  if (read.state === 'none') return { ok: true, witness: undefined };
  const browse = new AuditBrowseRepo(vault.db);
  const check = checkAgainstWitness(vault.vaultId, vault.auditRepo.head(), (seq) => browse.namedBySeq(seq)?.hash, read.witness);
  if (check.ok) return check;
  const accepted = vault.auditRepo.lastDetailOf('audit.head_accepted');
  const d = accepted ? (JSON.parse(accepted) as { syslog_seq?: unknown; syslog_hash?: unknown }) : {};
  if (d.syslog_seq === read.witness.seq && d.syslog_hash === read.witness.hash.toString('hex')) return { ok: true, witness: read.witness };
  return { ok: false, witness: read.witness, reason: `syslog の控え（${path}）によれば${check.reason}` };
}

/**
 * Refuses to go on when the chain is shorter than its witness or differs at
 * the witnessed seq ('tampered', naming the gap): the head file, and the
 * syslog witness where one is configured and readable. A vault without a
 * head file (made before there was one, or restored into a fresh folder)
 * gets one now.
 */
export function guardHead(vault: Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'auditRepo'>, key: Secret<Buffer>, syslogPath?: string): void {
  const check = checkHead(vault, key);
  if (!check.ok) throw new AppError('tampered', gapMessage(vault.dataDir, check.reason));
  if (syslogPath !== undefined) {
    const remote = checkSyslogHead(vault, syslogPath);
    if (remote && !remote.ok) throw new AppError('tampered', gapMessage(vault.dataDir, remote.reason));
  }
  if (!check.witness && !vault.db.readonly) raiseWitness(vault, key);
}

/**
 * The operator's override after a restore or a crash that lost the WAL:
 * records what the witness said against what the chain holds
 * ('audit.head_accepted'), then sets the witness to the new head.
 */
export function acceptHead(vault: Pick<Vault, 'dataDir' | 'db' | 'vaultId' | 'auditRepo' | 'audit'>, key: Secret<Buffer>, actor: Actor, syslogPath?: string): { before: WitnessCheck; seq: number } {
  let before: WitnessCheck;
  try {
    before = checkHead(vault, key);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    before = { ok: false, witness: { vaultId: '', seq: 0, hash: Buffer.alloc(0) }, reason: err.publicMessage };
  }
  // The syslog witness as it stands: recorded, so the next start accepts that line (checkSyslogHead).
  const remote = syslogPath !== undefined ? readSyslogWitness(syslogPath, vault.vaultId) : undefined;
  const syslog: Record<string, number | string> = remote?.state === 'found' ? { syslog_seq: remote.witness.seq, syslog_hash: remote.witness.hash.toString('hex') } : {};
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
        ...syslog,
      },
    }),
  );
  writeWitness(vault.dataDir, key, { vaultId: vault.vaultId, seq: head.seq, hash: head.hash });
  return { before, seq: head.seq };
}
