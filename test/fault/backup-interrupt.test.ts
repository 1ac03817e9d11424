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
    // About 48 MB of pages, so the copy is still running when the stop comes.
    vault.db.exec('CREATE TABLE test_filler (b BLOB)');
    const insert = vault.db.prepare('INSERT INTO test_filler VALUES (randomblob(1048576))');
    vault.db.transaction(() => {
      for (let i = 0; i < 48; i++) insert.run();
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
    expect(readdirSync(folder).filter((f) => f.startsWith('.mnvault-backup-') || f.endsWith('.db'))).toEqual([]);
    const again = openVault({ dataDir, clock });
    try {
      const last = again.auditRepo.latest(5).find((r) => r[4] === 'backup.failed' || r[4] === 'backup.created');
      expect(last?.[4]).toBe('backup.failed');
      expect(JSON.parse(last![9]).reason).toContain('中断');
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
