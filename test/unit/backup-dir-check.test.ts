import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBackupDir } from '../../src/services/setup.js';
import { tempDir } from '../helpers/vault.js';

describe('the backup folder check', () => {
  it('refuses the data folder itself, a folder inside it, and a symbolic link that leads into it; accepts a folder elsewhere', () => {
    const data = tempDir();
    const inside = join(data, 'backups');
    mkdirSync(inside);
    const link = join(tempDir(), 'looks-external');
    symlinkSync(inside, link);
    for (const p of [data, inside, link]) expect(checkBackupDir(p, data)).toMatchObject({ ok: false, problem: expect.stringContaining('データフォルダーの中は指定できません') });
    expect(checkBackupDir(tempDir(), data).ok).toBe(true);
  });
});
