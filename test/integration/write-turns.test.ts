import Database from 'better-sqlite3-multiple-ciphers';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTransaction, type Db } from '../../src/storage/database.js';
import { BLIND_GAP_MS, LongWriter, MAX_GIVE_WAY_MS } from '../../src/storage/write-turns.js';
import { tempDir } from '../helpers/vault.js';

/** A live process that is not this one (the marks of other processes are the ones that count). */
const OTHER = process.ppid;

const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(): Db {
  const db = new Database(join(tempDir(), 'vault.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (x INTEGER)');
  open.push(db);
  return db;
}

/** Removes `path` after `ms`, from another process (giveWay blocks this one). */
function removeLater(path: string, ms: number): Promise<void> {
  const child = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').rmSync(${JSON.stringify(path)}), ${ms})`], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('turns at the write lock between an import and other writers', () => {
  it('a long writer with nobody waiting goes on at once after each chunk (it used to pause 20 ms every time)', () => {
    const db = database();
    const turns = new LongWriter(db);
    expect(readdirSync(`${db.name}-turns`)).toEqual([`long.${process.pid}`]);
    for (let i = 0; i < 20; i++) {
      writeTransaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run(i));
      turns.giveWay();
    }
    expect(turns.pausedMs).toBeLessThan(20);
    turns.end();
    expect(existsSync(`${db.name}-turns`)).toBe(false);
  });

  it('a long writer gives way while another process waits, and no longer than MAX_GIVE_WAY_MS for a mark left behind', async () => {
    const db = database();
    const turns = new LongWriter(db);
    const mark = join(`${db.name}-turns`, `wait.${OTHER}.1`);
    writeFileSync(mark, '');
    const removed = removeLater(mark, 150);
    turns.giveWay();
    await removed;
    expect(turns.pausedMs).toBeGreaterThanOrEqual(100);
    expect(turns.pausedMs).toBeLessThan(MAX_GIVE_WAY_MS + 50);

    writeFileSync(mark, '');
    const before = turns.pausedMs;
    turns.giveWay();
    expect(turns.pausedMs - before).toBeGreaterThanOrEqual(MAX_GIVE_WAY_MS - 5);
    expect(turns.pausedMs - before).toBeLessThan(MAX_GIVE_WAY_MS + 50);
    turns.end();
    // The waiter's mark keeps the folder; the waiter removes it when its transaction ends.
    expect(existsSync(mark)).toBe(true);
  });

  it('its own waiting marks (the import process writing its own chunks) do not make it pause', () => {
    const db = database();
    const turns = new LongWriter(db);
    writeTransaction(db, () => {
      expect(readdirSync(`${db.name}-turns`)).toEqual([`long.${process.pid}`]);
    });
    writeFileSync(join(`${db.name}-turns`, `wait.${process.pid}.7`), '');
    turns.giveWay();
    expect(turns.pausedMs).toBeLessThan(5);
    turns.end();
  });

  it('a writer marks itself waiting for the length of its transaction while another process imports', () => {
    const db = database();
    const folder = `${db.name}-turns`;
    writeTransaction(db, () => expect(existsSync(folder)).toBe(false));
    // Another process's mark, as an import in a process of its own leaves it.
    mkdirSync(folder);
    writeFileSync(join(folder, `long.${OTHER}`), '');
    let during: string[] = [];
    writeTransaction(db, () => {
      during = readdirSync(folder);
      writeTransaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run());
    });
    expect(during.filter((n) => n.startsWith(`wait.${process.pid}.`))).toHaveLength(1);
    expect(readdirSync(folder)).toEqual([`long.${OTHER}`]);
  });

  it('removes the marks a killed process left (it would cost a pause per chunk)', async () => {
    const db = database();
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    mkdirSync(`${db.name}-turns`);
    writeFileSync(join(`${db.name}-turns`, `wait.${gone.pid}.3`), '');
    writeFileSync(join(`${db.name}-turns`, `long.${gone.pid}`), '');
    writeFileSync(join(`${db.name}-turns`, `wait.${OTHER}.1`), '');
    // A writer does not wait on a killed import's mark, and takes it away.
    writeTransaction(db, () => expect(readdirSync(`${db.name}-turns`).filter((n) => n.startsWith(`wait.${process.pid}.`))).toEqual([]));
    expect(readdirSync(`${db.name}-turns`)).not.toContain(`long.${gone.pid}`);
    const turns = new LongWriter(db);
    expect(readdirSync(`${db.name}-turns`).sort()).toEqual([`long.${process.pid}`, `wait.${OTHER}.1`]);
    turns.end();
  });

  it('pauses blind after each chunk when it cannot leave its mark (a read-only or full disk)', () => {
    const db = database();
    writeFileSync(`${db.name}-turns`, 'not a folder');
    const turns = new LongWriter(db);
    turns.giveWay();
    turns.giveWay();
    expect(turns.pausedMs).toBeGreaterThanOrEqual(2 * BLIND_GAP_MS - 2);
    turns.end();
  });
});
