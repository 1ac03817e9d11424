import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../src/domain/ports.js';
import { Secret } from '../src/domain/secret.js';
import { createBackup } from '../src/services/backup.js';
import { importPersons } from '../src/services/import/import-persons.js';
import { initDevVault } from '../src/services/init-vault.js';
import { databasePath } from '../src/services/vault.js';
import { TEST_PIN_COST } from '../src/vault/slots.js';
import type { Row } from './row.js';
import { syntheticCsv } from './synthetic.js';
import { BENCH_PURPOSES } from './bench-purposes.js';

/**
 * `mnvault backup` of an n-person vault: the encrypted online copy (VACUUM
 * INTO on its own connection in a worker), fsync, SHA-256 and manifest,
 * against a plain copy of the same file (fs.copyFile, after a checkpoint).
 */
export async function benchBackup(root: string, n: number): Promise<Row[]> {
  const dataDir = join(root, 'backup-vault');
  const { vault, recoveryCode } = await initDevVault({
    dataDir,
    admin: { login: 'bench', password: new Secret('bench-password-long'), pin: new Secret('135790') },
    clock: systemClock,
    pinCost: TEST_PIN_COST,
  });
  recoveryCode.wipe();
  try {
    const r = importPersons(vault, Buffer.from(syntheticCsv(n)), { actor: { id: 'bench', name: 'bench' }, purposes: BENCH_PURPOSES });
    if (!r.committed) throw new Error('bench import failed');
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    const folder = join(root, 'backups');
    mkdirSync(folder);
    let ours = Infinity;
    let floor = Infinity;
    let size = 0;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      const b = await createBackup(vault, { folder, keep: 1, actor: { id: 'bench', name: 'bench' }, client: null, trigger: 'cli', offThread: true });
      ours = Math.min(ours, (performance.now() - t0) / 1000);
      size = b.manifest.size;
      const t1 = performance.now();
      copyFileSync(databasePath(dataDir), join(root, `plain-copy-${run}.db`));
      floor = Math.min(floor, (performance.now() - t1) / 1000);
    }
    const mb = (statSync(databasePath(dataDir)).size / 1024 / 1024).toFixed(0);
    return [
      {
        operation: `backup of a ${n.toLocaleString('en-US')}-person vault (encrypted copy, fsync, SHA-256, manifest; ${mb} MB → ${(size / 1024 / 1024).toFixed(0)} MB)`,
        n,
        seconds: ours,
        floor: 'fs.copyFile of the same file',
        floorSeconds: floor,
        target: 'figure (online, vault stays usable)',
      },
    ];
  } finally {
    vault.close();
  }
}
