import { ALL_PURPOSES } from '../helpers/purposes.js';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticCsv } from '../../bench/synthetic.js';
import { fixedClock } from '../../src/domain/ports.js';
import { packagePath } from '../../src/paths.js';
import { openVault } from '../../src/services/vault.js';
import { mnvault } from '../helpers/cli.js';
import { requireDist } from '../helpers/crash.js';
import { newTestVault, tempDir } from '../helpers/vault.js';

/**
 * kill -9 of `mnvault import` after some chunks committed: the chunks' persons
 * were never in any view, and the next open deletes them, audited. Nothing
 * partial is stored, as with the single transaction before.
 */
const clock = fixedClock('2026-04-01T00:00:00Z');
// Rows enough for many chunks: with a writer waiting (below) a chunk holds the lock about 50 ms.
const ROWS = 60_000;

describe('an import killed between its chunks', () => {
  it('shows none of its persons and leaves none after the next open', async () => {
    requireDist();
    const { vault, dataDir } = await newTestVault(clock);
    const file = join(tempDir(), 'big.csv');
    writeFileSync(file, syntheticCsv(ROWS, 5));
    // This process marks itself waiting for the write lock, as the server does while an import runs
    // (write-turns.ts): the import then commits short chunks and the kill falls between two of them.
    // Nobody waiting, a chunk holds the lock up to 2 s, and these rows would fit in one.
    mkdirSync(`${join(dataDir, 'vault.db')}-turns`);
    const waiting = join(`${join(dataDir, 'vault.db')}-turns`, `wait.${process.pid}.1`);
    writeFileSync(waiting, '');
    const child = spawn(process.execPath, [packagePath('dist', 'src', 'cli', 'main.js'), 'import', '--data', dataDir, '--purposes', ALL_PURPOSES.join(','), file], { env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' }, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stored = vault.db.prepare('SELECT count(*) FROM persons').pluck();
    for (let i = 0; i < 6000 && (stored.get() as number) < 500; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    rmSync(waiting);
    const left = stored.get() as number;
    expect(left).toBeGreaterThanOrEqual(500);
    expect(left).toBeLessThan(ROWS);
    // Hidden while unpublished: no count, no register page, no person page.
    expect(vault.persons.count().persons).toBe(0);
    expect(vault.persons.search({ q: '佐藤', perPage: 50 }).rows).toEqual([]);
    expect(vault.persons.search({ perPage: 50 }).rows).toEqual([]);
    const someId = vault.db.prepare('SELECT min(id) FROM persons').pluck().get() as number;
    expect(vault.persons.byId(someId)).toBeUndefined();
    vault.close();

    const again = openVault({ dataDir, clock });
    try {
      expect(again.db.prepare('SELECT count(*) FROM persons').pluck().get()).toBe(0);
      for (const t of ['person_numbers', 'person_grams', 'purpose_notices', 'person_trail_salts', 'import_batches']) expect(again.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get(), t).toBe(0);
      const last = again.auditRepo.latest(1)[0]!;
      expect(last[4]).toBe('persons.import_discarded');
      expect(JSON.parse(last[9])).toMatchObject({ first_id: 1 });
    } finally {
      again.close();
    }
    expect(mnvault(['audit', 'verify', '--data', dataDir]).status).toBe(0);
  }, 120_000);
});
