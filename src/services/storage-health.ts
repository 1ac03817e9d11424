import { SYSTEM_ACTOR } from '../domain/audit-events.js';
import type { AppError } from '../domain/errors.js';
import { STORAGE_FAULT_MESSAGE, type StorageFault } from '../domain/storage-faults.js';
import { logEvent } from '../log.js';
import { probeWriteLock, tryWriteNow, writeTransaction } from '../storage/database.js';
import { asStorageError, faultOf } from '../storage/storage-errors.js';
import { probeWrite } from '../storage/write-probe.js';
import type { Vault } from './vault.js';

export interface StorageState {
  ok: boolean;
  fault: StorageFault | null;
  since: string | null;
  message: string | null;
}

/**
 * The storage state the service shows on /health and the status page: the
 * last fault met at run time (full, damaged, read-only) or a data folder that
 * disappeared. Each kind of fault is audited the first time it is met (once
 * the trail can take it: a full disk is audited when there is room again).
 * A full or read-only state clears when a write probe succeeds again, in the
 * folder and in the database itself (SQLite may refuse writes to a file the
 * folder still takes). A damaged file stays damaged until the restart after a
 * restore; a quick_check that finds damage (the status page) counts as meeting it.
 */
export class StorageHealth {
  #fault: { kind: StorageFault; since: string } | undefined;
  readonly #audited = new Set<StorageFault>();
  readonly #pending = new Set<StorageFault>();

  constructor(private readonly vault: Pick<Vault, 'db' | 'dataDir' | 'audit' | 'clock' | 'filePresent'>) {}

  /** Notes a request's error; returns the named AppError when it is a storage fault, else undefined. */
  note(err: unknown): AppError | undefined {
    const named = asStorageError(err);
    const kind = faultOf(err);
    if (!named || !kind) return undefined;
    if (kind !== 'busy' && this.#fault?.kind !== kind) this.#fault = { kind, since: this.vault.clock.now().toISOString() };
    if (!this.#audited.has(kind)) this.#pending.add(kind);
    logEvent('error', 'storage fault', { fault: kind, code: (named.cause as { code?: string } | undefined)?.code ?? named.code });
    // While the database is busy, writing the event now would wait on the same lock.
    if (kind === 'busy') setTimeout(() => this.#flushAudit(), 2000).unref();
    else this.#flushAudit();
    return named;
  }

  /** Notes damage found by a check (PRAGMA quick_check) rather than by a request. */
  noteDamaged(problem: string): void {
    this.note(Object.assign(new Error('quick_check'), { code: 'SQLITE_CORRUPT', problem }));
  }

  state(): StorageState {
    if (!this.vault.filePresent()) return this.#as('missing');
    if (this.#fault && (this.#fault.kind === 'full' || this.#fault.kind === 'readonly')) {
      try {
        probeWrite(this.vault.dataDir);
        this.#probeDatabase();
        this.#fault = undefined;
      } catch {
        // still failing: the state stays
      }
    }
    this.#flushAudit();
    return this.#fault ? this.#as(this.#fault.kind) : { ok: true, fault: null, since: null, message: null };
  }

  /**
   * Takes and releases SQLite's write lock without waiting: SQLITE_READONLY
   * (or a full disk) throws; a lock held by other work (busy) means the
   * database itself takes writes.
   */
  #probeDatabase(): void {
    const db = this.vault.db;
    if (!db.inTransaction) tryWriteNow(db, () => probeWriteLock(db));
  }

  #as(kind: StorageFault): StorageState {
    if (kind === 'missing' && this.#fault?.kind !== 'missing') this.#fault = { kind, since: this.vault.clock.now().toISOString() };
    return { ok: false, fault: kind, since: this.#fault?.since ?? null, message: STORAGE_FAULT_MESSAGE[kind] };
  }

  /** Appends 'storage.fault' for each kind not yet on the trail; a failure leaves it pending. */
  #flushAudit(): void {
    for (const kind of [...this.#pending]) {
      if (kind === 'missing' || !this.vault.filePresent()) continue;
      try {
        writeTransaction(this.vault.db, () => this.vault.audit.append({ actor: SYSTEM_ACTOR, action: 'storage.fault', detail: { fault: kind, first_at: this.#fault?.since ?? this.vault.clock.now().toISOString() } }));
        this.#pending.delete(kind);
        this.#audited.add(kind);
      } catch {
        // the trail cannot take it now (the disk is still full); tried again on the next note or state
      }
    }
  }
}
