import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './database.js';

/**
 * Turns at SQLite's write lock between a long writer (an import storing its
 * chunks, in a process of its own) and every other writer.
 *
 * SQLite has one write lock and no queue: a writer that finds it taken sleeps
 * and tries again (busy_timeout, in steps of up to 100 ms), and a long writer
 * that commits and begins again at once would keep it out until its timeout.
 * So the long writer gives way between its chunks — but only while somebody
 * waits, instead of pausing after every chunk (20 ms after each 200 ms chunk
 * was a tenth of a million-person import, with nobody waiting):
 *
 * - while it runs, the long writer leaves a mark `long.<pid>` in the folder
 *   `<database>-turns` beside the database;
 * - a writer that sees the mark of another process marks itself waiting
 *   (`wait.<pid>.<n>`) for the length of its transaction;
 * - between chunks the long writer pauses while a waiting mark of another
 *   process is there, up to MAX_GIVE_WAY_MS (a mark a killed process left
 *   behind costs one such pause per chunk, never a stall).
 *
 * The marks are empty files: nothing of the data is in them. When the long
 * writer cannot leave its mark (a read-only or full disk), nobody would mark
 * themselves waiting, so it pauses after every chunk as before.
 */
export const MAX_GIVE_WAY_MS = 250;
/** The pause after each chunk when the long writer could not leave its mark. */
export const BLIND_GAP_MS = 20;
/**
 * A blind pause at least this often all the same: a writer that looked for a
 * mark just before the long writer left it, and then found the lock taken,
 * waits without a mark of its own; it still gets in well within its 5 s.
 */
export const BLIND_EVERY_MS = 1500;
const POLL_MS = 2;
/**
 * How long one transaction of the long writer may hold the lock: while
 * nobody waits, up to LONG_HOLD_MS (each commit rewrites every index page
 * its rows touched, and an import's number and code indexes take its rows at
 * random places: at a million persons a 200 ms chunk's commit wrote about
 * 30 MB, a commit per 5,000 rows); once a writer marks itself waiting, it
 * ends after YIELD_AFTER_MS (so the import still moves on under a stream of
 * writes). Without its mark it holds BLIND_HOLD_MS, as before the marks.
 */
export const LONG_HOLD_MS = 2000;
export const YIELD_AFTER_MS = 50;
export const BLIND_HOLD_MS = 200;
/** How often a transaction looks for waiting marks (a directory read, about 15 µs). */
const LOOK_EVERY_MS = 5;

function turnsFolder(db: Db): string | null {
  return db.memory || db.name === '' ? null : `${db.name}-turns`;
}

let waits = 0;

/**
 * Runs a write transaction (`begin` takes the lock, runs it and commits),
 * marked as waiting while a long writer of another process holds its turn
 * marks. Called by writeTransaction for each outermost transaction.
 */
export function takeTurn<T>(db: Db, begin: () => T): T {
  const folder = turnsFolder(db);
  if (folder === null || !existsSync(folder)) return begin();
  let mark: string | null = null;
  try {
    if (readdirSync(folder).some((name) => isOthersLongMark(folder, name))) {
      mark = join(folder, `wait.${process.pid}.${++waits}`);
      writeFileSync(mark, '');
    }
  } catch {
    // The folder went away (the import ended) or cannot be written: wait as SQLite does.
    mark = null;
  }
  try {
    return begin();
  } finally {
    if (mark !== null) rmSync(mark, { force: true });
  }
}

/** A long writer's mark of another process that still runs; the mark of a killed one is removed. */
function isOthersLongMark(folder: string, name: string): boolean {
  if (!name.startsWith('long.')) return false;
  const pid = Number(name.slice('long.'.length));
  if (pid === process.pid) return false;
  if (pid > 0 && alive(pid)) return true;
  rmSync(join(folder, name), { force: true });
  return false;
}

/** Removes the marks of processes that are gone (a crashed import or server). */
function removeStaleMarks(folder: string): void {
  for (const name of readdirSync(folder)) {
    const pid = Number(/^(?:long|wait)\.(\d+)/u.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(folder, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The long writer's side: its mark, and the pauses between its chunks. */
export class LongWriter {
  private readonly mark: string | null;
  /** Milliseconds spent giving way, for the import's report and the tests. */
  pausedMs = 0;
  private lastBlind = performance.now();
  private lastLook = 0;
  private waiting = false;

  constructor(private readonly db: Db) {
    const folder = turnsFolder(db);
    let mark: string | null = null;
    if (folder !== null) {
      try {
        mkdirSync(folder, { recursive: true, mode: 0o700 });
        removeStaleMarks(folder);
        mark = join(folder, `long.${process.pid}`);
        writeFileSync(mark, '');
      } catch {
        mark = null;
      }
    }
    this.mark = mark;
  }

  /** Between two chunks: lets every writer now waiting through (bounded), or pauses blind without a mark. */
  giveWay(): void {
    const started = performance.now();
    if (this.mark === null || started - this.lastBlind >= BLIND_EVERY_MS) {
      pause(BLIND_GAP_MS);
      this.lastBlind = performance.now();
    } else while (this.othersWaiting() && performance.now() - started < MAX_GIVE_WAY_MS) pause(POLL_MS);
    this.pausedMs += performance.now() - started;
  }

  /**
   * Whether a transaction of the long writer begun at `started` (performance.now())
   * may take more rows: its time is not up and nobody is waiting for the lock.
   */
  mayHold(started: number): boolean {
    const now = performance.now();
    const held = now - started;
    if (this.mark === null) return held < BLIND_HOLD_MS;
    if (held >= LONG_HOLD_MS) return false;
    if (held < YIELD_AFTER_MS) return true;
    if (now - this.lastLook >= LOOK_EVERY_MS) {
      this.lastLook = now;
      this.waiting = this.othersWaiting();
    }
    return !this.waiting;
  }

  private othersWaiting(): boolean {
    try {
      return readdirSync(`${this.db.name}-turns`).some((name) => name.startsWith('wait.') && !name.startsWith(`wait.${process.pid}.`));
    } catch {
      return false;
    }
  }

  /** Removes the mark, and the folder when nothing else is in it (another long writer's or a waiter's mark keeps it). */
  end(): void {
    if (this.mark === null) return;
    rmSync(this.mark, { force: true });
    try {
      rmdirSync(`${this.db.name}-turns`);
    } catch {
      // Not empty, or already gone.
    }
  }
}
