import { verifyChainParallel } from '../audit/verify.js';
import type { Actor } from '../domain/audit-events.js';
import { logFailure } from '../failure-log.js';
import { writeTransaction } from '../storage/database.js';
import { databasePath, type Vault } from './vault.js';

export type VerifyRun =
  | { state: 'idle' }
  | { state: 'running'; by: string; startedAt: string; total: number; checked: number }
  | { state: 'done'; by: string; startedAt: string; seconds: number; ok: boolean; count: number; headSeq: number; headHash: string; badSeq: number | null; reason: string; recordedSeq: number | null };

/**
 * The full verification started from the audit page: one run at a time (the
 * composition makes one verifier per open vault), every range checked in worker threads (the server keeps answering),
 * and its result appended to the trail as 'audit.verified' by the person who
 * asked, intact or not.
 */
export class AuditVerifier {
  private run: VerifyRun = { state: 'idle' };

  constructor(private readonly vault: Pick<Vault, 'dataDir' | 'db' | 'dbKey' | 'keys' | 'auditRepo' | 'audit' | 'clock'>) {}

  status(): VerifyRun {
    return { ...this.run };
  }

  /** Starts a run unless one is going; returns the promise of its end (tests await it). */
  start(actor: Actor, client: string | null): { started: boolean; done: Promise<void> } {
    if (this.run.state === 'running') return { started: false, done: Promise.resolve() };
    const { vault } = this;
    const startedAt = vault.clock.now().toISOString();
    const t0 = performance.now();
    const running = { state: 'running' as const, by: actor.name, startedAt, total: vault.auditRepo.head()?.seq ?? 0, checked: 0 };
    this.run = running;
    const done = verifyChainParallel({
      repo: vault.auditRepo,
      dbPath: databasePath(vault.dataDir),
      dbKey: vault.dbKey,
      auditKey: vault.keys.audit,
      offThread: true,
      onProgress: (n) => void (running.checked += n),
    }).then(
      (result) => {
        const seconds = Math.round((performance.now() - t0) / 10) / 100;
        const head = result.ok ? result.head : undefined;
        const base = { state: 'done' as const, by: actor.name, startedAt, seconds, ok: result.ok, count: result.count, headSeq: head?.seq ?? 0, headHash: head?.hash.toString('hex') ?? '', badSeq: result.ok ? null : result.badSeq, reason: result.ok ? '' : result.reason };
        let recordedSeq: number | null = null;
        try {
          recordedSeq = writeTransaction(vault.db, () =>
            vault.audit.append({
              actor,
              action: 'audit.verified',
              client,
              detail: result.ok
                ? { result: 'intact', count: result.count, head_seq: base.headSeq, head_hash: base.headHash, seconds }
                : { result: 'broken', count: result.count, bad_seq: result.badSeq, reason: result.reason, seconds },
            }),
          ).seq;
        } catch (cause) {
          // The result is still shown; the page says it could not be recorded.
          logFailure('audit_verified_not_recorded', cause);
        }
        this.run = { ...base, recordedSeq };
      },
      (cause: unknown) => {
        logFailure('audit_verify_failed', cause);
        this.run = { state: 'done', by: actor.name, startedAt, seconds: 0, ok: false, count: 0, headSeq: 0, headHash: '', badSeq: null, reason: '検証を実行できませんでした（サーバーのログを確認してください）', recordedSeq: null };
      },
    );
    return { started: true, done };
  }
}
