import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanInterrupted } from '../../src/services/backup-files.js';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config.js';
import { fixedClock } from '../../src/domain/ports.js';
import { setBackupDir } from '../../src/services/setup.js';
import { openVault } from '../../src/services/vault.js';
import { requireDist } from '../helpers/crash.js';
import { newTestVault, tempDir } from '../helpers/vault.js';

/** SIGTERM's path (serving.stop()) while a web backup copies: stopped, recorded, nothing left behind. */
describe('stopping the service during a backup', () => {
  it('stops the copy within the stop, records backup.failed (interrupted) and leaves no temp file', async () => {
    requireDist();
    const clock = fixedClock('2026-04-01T00:00:00Z');
    const { vault, dataDir } = await newTestVault(clock);
    // About 96 MB of pages, so the copy is usually still running when the stop comes.
    vault.db.exec('CREATE TABLE test_filler (b BLOB)');
    const insert = vault.db.prepare('INSERT INTO test_filler VALUES (randomblob(1048576))');
    vault.db.transaction(() => {
      for (let i = 0; i < 96; i++) insert.run();
    })();
    const folder = tempDir();
    setBackupDir(vault, { id: 'cli', name: 'test' }, folder, null);
    const serving = await startServer(vault, loadConfig({}), { port: 0, host: '127.0.0.1', simulateDevices: false, http: true, stopDeadlineMs: 2000 });
    const runner = serving.composition.backupRunner;
    const { started } = runner.start({ id: 'cli', name: 'test' }, null, 'cli');
    expect(started).toBe(true);
    for (let i = 0; i < 100 && (runner.status() as { pagesCopied?: number }).pagesCopied === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(runner.status().state).toBe('running');
    const t0 = performance.now();
    await serving.stop();
    expect(performance.now() - t0).toBeLessThan(5000);
    // Never a temp file. The stop either cut the copy (no backup, backup.failed "中断") or, on a quick
    // machine, met it in its last step and awaited it (the backup whole, backup.created): either way the
    // trail says what the folder holds.
    expect(readdirSync(folder).filter((f) => f.startsWith('.mnvault-backup-'))).toEqual([]);
    const finished = readdirSync(folder).filter((f) => f.endsWith('.db'));
    const again = openVault({ dataDir, clock });
    try {
      const last = again.auditRepo.latest(5).find((r) => r[4] === 'backup.failed' || r[4] === 'backup.created');
      const detail = JSON.parse(last![9]) as { reason?: string; file?: string };
      if (finished.length === 0) {
        expect(last?.[4]).toBe('backup.failed');
        expect(detail.reason).toContain('中断');
      } else {
        expect(finished).toHaveLength(1);
        expect(last?.[4]).toBe('backup.created');
        expect(detail.file).toBe(finished[0]);
      }
    } finally {
      again.close();
    }
  }, 30_000);

  it("removes a killed backup's SQLite journal beside its temp file", () => {
    const folder = tempDir();
    const names = ['.mnvault-backup-999999999-a1b2c3.db.tmp', '.mnvault-backup-999999999-a1b2c3.db.tmp-journal'];
    for (const n of names) writeFileSync(join(folder, n), 'x');
    expect(cleanInterrupted(folder).sort()).toEqual(names.sort());
    expect(readdirSync(folder)).toEqual([]);
  });
});
