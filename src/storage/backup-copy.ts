import { chmodSync, closeSync, constants, existsSync, openSync, statSync } from 'node:fs';
import { fork } from 'node:child_process';
import type { Secret } from '../domain/secret.js';
import { packagePath } from '../paths.js';
import { openDatabase } from './database.js';
import { keyCopyForWorker } from '../vault/worker-key.js';

/**
 * The consistent, encrypted copy of a live vault database.
 *
 * SQLite's online backup API cannot be used here: SQLite3 Multiple Ciphers
 * refuses to back up a ciphered database into a destination handle without a
 * codec ("backup is not supported with incompatible source and target
 * databases"), and better-sqlite3 opens the destination itself, unkeyed. So the
 * copy is `VACUUM INTO` on a second connection: it reads one snapshot (a read
 * transaction; in WAL mode writers go on), and the target, attached without a
 * key of its own, inherits the connection's cipher (AEGIS) and key. Free pages
 * are not copied, so numbers destroyed before the copy (secure_delete) are not
 * in it. test/integration/backup.test.ts proves the bytes are opaque.
 */

export interface CopyProgress {
  /** Pages written to the target so far (estimated from its size while the copy runs). */
  pagesCopied: number;
  /** Pages the copy will hold (the source's pages in use). */
  totalPages: number;
}

export interface CopyOptions {
  /** Run the copy in a worker thread so the event loop stays free (a server). Falls back to this thread without a built worker. */
  offThread?: boolean;
  onProgress?: (p: CopyProgress) => void;
  /** Stops an off-thread copy (the worker is terminated); the promise then rejects with 'interrupted'. */
  signal?: AbortSignal;
}

/** The copy was stopped through its signal (the service is stopping). */
export class CopyInterrupted extends Error {
  constructor() {
    super('backup copy interrupted');
    this.name = 'CopyInterrupted';
  }
}

const WORKER = packagePath('dist', 'src', 'storage', 'backup-worker.js');
/** A small page cache makes the copy spill pages to the target as it goes, which is what progress reads. */
const COPY_CACHE_KIB = 2048;

/** Page size and pages in use of the source, read on its own connection. */
export function sourcePages(srcPath: string, key: Secret<Buffer>): { pageSize: number; totalPages: number } {
  const db = openDatabase(srcPath, key, { readonly: true });
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const count = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    return { pageSize, totalPages: Math.max(1, count - free) };
  } finally {
    db.close();
  }
}

/** Writes the copy into `target` (which must not exist) on a new connection in this thread. */
export function vacuumInto(srcPath: string, key: Secret<Buffer>, target: string): void {
  const db = openDatabase(srcPath, key, { readonly: true });
  try {
    db.pragma(`cache_size = -${COPY_CACHE_KIB}`);
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
}

/** Copies the database at srcPath into target, reporting progress; resolves when the target is complete (not yet fsynced). */
export async function copyDatabase(srcPath: string, key: Secret<Buffer>, target: string, opts: CopyOptions = {}): Promise<CopyProgress> {
  const { pageSize, totalPages } = sourcePages(srcPath, key);
  // VACUUM INTO fills an empty file and keeps its mode; made here 0600, so a copy made from a shell
  // (umask 022) is as private as its manifest, whatever the umask.
  closeSync(openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  chmodSync(target, 0o600);
  const report = (pagesCopied: number) => opts.onProgress?.({ pagesCopied: Math.min(pagesCopied, totalPages), totalPages });
  report(0);
  if (!opts.offThread || !existsSync(WORKER)) {
    vacuumInto(srcPath, key, target);
  } else {
    const timer = setInterval(() => {
      try {
        report(Math.floor(statSync(target).size / pageSize));
      } catch {
        report(0); // not created yet
      }
    }, 100);
    try {
      await runWorker(srcPath, key, target, opts.signal);
    } finally {
      clearInterval(timer);
    }
  }
  // Done: what the copy holds is the whole of it (the estimate before may differ by pages freed or added meanwhile).
  const done = Math.floor(statSync(target).size / pageSize);
  const final = { pagesCopied: done, totalPages: done };
  opts.onProgress?.(final);
  return final;
}

function runWorker(srcPath: string, key: Secret<Buffer>, target: string, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new CopyInterrupted());
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    let answer: { ok: boolean; error?: string } | undefined;
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', stop, { once: true });
    child.once('message', (m: { ok: boolean; error?: string }) => (answer = m));
    child.once('error', (cause) => reject(new Error('backup worker failed', { cause })));
    // Settles on exit, so a stopped copy has really stopped writing before its files are removed.
    child.once('exit', (code) => {
      signal?.removeEventListener('abort', stop);
      if (interrupted) return reject(new CopyInterrupted());
      if (answer?.ok) return resolve();
      reject(new Error(`backup copy failed in worker: ${answer?.error ?? `exit ${code}`}`));
    });
    // A copy of the key, zeroed once sent (advanced serialization carries the bytes, not a string).
    const dbKey = keyCopyForWorker(key);
    child.send({ srcPath, dbKey, target }, () => dbKey.fill(0));
  });
}
