import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { newTestVault, tempDir } from '../helpers/vault.js';

describe('a backup made from a shell', () => {
  it('is 0600 like its manifest, whatever the umask (022 here)', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const folder = tempDir('mnvault-backup-mode-');
    const main = packagePath('dist', 'src', 'cli', 'main.js');
    const r = spawnSync('sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, main, 'backup', '--data', dataDir, '--to', folder], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(folder);
    const db = files.find((f) => f.endsWith('.db'))!;
    const manifest = files.find((f) => f.endsWith('.json'))!;
    expect(db).toBeDefined();
    expect(manifest).toBeDefined();
    expect((statSync(join(folder, manifest)).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(folder, db)).mode & 0o777).toString(8)).toBe('600');
  });
});
