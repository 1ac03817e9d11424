import { japanClock, japanDate } from '../domain/dates.js';
import { SYSTEM_ACTOR, type Actor } from '../domain/audit-events.js';
import { AppError, publicMessage } from '../domain/errors.js';
import { writeTransaction } from '../storage/database.js';
import { BACKUP_META, backupFolder, createBackup, type BackupTrigger } from './backup.js';
import type { Vault } from './vault.js';
import { logEvent } from '../log.js';

export type BackupRun =
  | { state: 'idle' }
  | { state: 'running'; by: string; trigger: BackupTrigger; startedAt: string; pagesCopied: number; totalPages: number }
  | { state: 'done'; by: string; trigger: BackupTrigger; startedAt: string; ok: boolean; file: string; seconds: number; size: number; auditSeq: number; removed: number; reason: string };

/**
 * The server's backups, one at a time (the composition makes one runner per
 * open vault): from the admin's button and
 * from the daily schedule. The copy runs in a worker thread; its progress
 * (pages written) is read by the backup page while it runs.
 */
export class BackupRunner {
  private run: BackupRun = { state: 'idle' };
  private current: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(private readonly vault: Pick<Vault, 'dataDir' | 'db' | 'dbKey' | 'vaultId' | 'keys' | 'meta' | 'retention' | 'audit' | 'clock'>) {}

  status(): BackupRun {
    return { ...this.run };
  }

  /** Starts a backup unless one is running; `done` settles when it ends (never rejects). */
  start(actor: Actor, client: string | null, trigger: BackupTrigger): { started: boolean; done: Promise<void> } {
    if (this.run.state === 'running') return { started: false, done: Promise.resolve() };
    const { vault } = this;
    const startedAt = vault.clock.now().toISOString();
    const running = { state: 'running' as const, by: actor.name, trigger, startedAt, pagesCopied: 0, totalPages: 0 };
    this.run = running;
    const base = { state: 'done' as const, by: actor.name, trigger, startedAt };
    const abort = new AbortController();
    const done = (async () => {
      // The folder is read when the run starts; an unset folder fails (audited) like any other problem.
      let folder = '';
      try {
        folder = backupFolder(vault, undefined);
      } catch (err) {
        return this.failUnstarted(actor, client, trigger, err);
      }
      return createBackup(vault, {
        folder,
        actor,
        client,
        trigger,
        offThread: true,
        signal: abort.signal,
        onProgress: (p) => {
          running.pagesCopied = p.pagesCopied;
          running.totalPages = p.totalPages;
        },
      });
    })().then(
      (r) => {
        this.run = r
          ? { ...base, ok: true, file: r.manifest.file, seconds: r.seconds, size: r.manifest.size, auditSeq: r.manifest.auditSeq, removed: r.removed.length, reason: '' }
          : { ...base, ok: false, file: '', seconds: 0, size: 0, auditSeq: 0, removed: 0, reason: lastReason(vault) };
      },
      (err: unknown) => {
        this.run = { ...base, ok: false, file: '', seconds: 0, size: 0, auditSeq: 0, removed: 0, reason: publicMessage(err) };
      },
    );
    const current = { abort, done };
    this.current = current;
    void done.finally(() => {
      if (this.current === current) this.current = undefined;
    });
    return { started: true, done };
  }

  /**
   * The service is stopping: a running backup's copy is stopped, and the run
   * ends as backup.failed (interrupted) with its temp files removed. Resolves
   * when it has ended (at once when none runs).
   */
  async cancel(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.abort.abort();
    await current.done;
  }

  /** A run that could not even choose its folder: audited as backup.failed, like the rest. */
  private failUnstarted(actor: Actor, client: string | null, trigger: BackupTrigger, err: unknown): undefined {
    const reason = publicMessage(err);
    const { vault } = this;
    try {
      writeTransaction(vault.db, () => {
        vault.audit.append({ actor, action: 'backup.failed', client, detail: { folder: '', reason, trigger } });
        vault.meta.set(BACKUP_META.last, JSON.stringify({ state: 'failed', at: vault.clock.now().toISOString(), trigger, reason }));
      });
    } catch (cause) {
      logEvent('error', 'backup.failed not recorded', { error: (cause as Error)?.name ?? typeof cause });
    }
    return undefined;
  }
}

function lastReason(vault: Pick<Vault, 'meta'>): string {
  try {
    const raw = vault.meta.get(BACKUP_META.last);
    return raw ? ((JSON.parse(raw) as { reason?: string }).reason ?? '') : '';
  } catch {
    return '';
  }
}

/** "HH:MM" (00:00–23:59), or throws 'invalid'. */
export function parseBackupTime(input: string | undefined): string {
  const t = (input ?? '').trim().normalize('NFKC');
  const m = /^([01]?[0-9]|2[0-3]):([0-5][0-9])$/u.exec(t);
  if (!m) throw new AppError('invalid', '定時バックアップの時刻は 00:00〜23:59 の形（例: 02:00）で入れてください。');
  return `${m[1]!.padStart(2, '0')}:${m[2]}`;
}

/** Whether the daily backup at `time` (Japan time) is due at `now`, given the Japan date it last ran. */
export function scheduleDue(now: Date, time: string, lastRunOn: string | undefined): boolean {
  const today = japanDate(now);
  if (lastRunOn === today) return false;
  const jst = japanClock(now).slice(11, 16);
  return jst >= time;
}

/**
 * Checks once a minute whether the daily backup is due and starts it (by
 * 「システム」). The Japan date is recorded before the run, so a failing run is
 * not repeated every minute: it is audited and shown on the admin's home page.
 */
export function startBackupSchedule(vault: Pick<Vault, 'meta' | 'clock'>, runner: BackupRunner, everyMs = 60_000): { stop(): void; tick(): Promise<void> } {
  const tick = async () => {
    const time = vault.meta.get(BACKUP_META.time);
    if (!time) return;
    const now = vault.clock.now();
    if (!scheduleDue(now, time, vault.meta.get(BACKUP_META.scheduledOn))) return;
    vault.meta.set(BACKUP_META.scheduledOn, japanDate(now));
    await runner.start(SYSTEM_ACTOR, null, 'schedule').done;
  };
  const timer = setInterval(() => {
    tick().catch((cause: unknown) => logEvent('error', 'scheduled backup check failed', { error: (cause as Error)?.name ?? typeof cause }));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
