import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanInterrupted, lockFolder } from '../../src/services/backup-files.js';
import { tempDir } from '../helpers/vault.js';

describe('the backup folder lock', () => {
  it('refuses while a live process holds it, takes over a dead one atomically, and leaves nothing behind', () => {
    const folder = tempDir();
    const lock = join(folder, '.mnvault-backup.lock');
    writeFileSync(lock, String(process.pid));
    expect(() => lockFolder(folder)).toThrow(expect.objectContaining({ code: 'conflict' }));
    // A pid that cannot be running (beyond the kernel's pid_max).
    writeFileSync(lock, '99999999');
    const release = lockFolder(folder);
    expect(readdirSync(folder)).toEqual(['.mnvault-backup.lock']);
    release();
    expect(existsSync(lock)).toBe(false);
    // A stale-lock leftover from a takeover that was itself interrupted is cleaned up.
    writeFileSync(join(folder, '.mnvault-backup.lock.stale-1-abcd'), '1');
    expect(cleanInterrupted(folder)).toEqual(['.mnvault-backup.lock.stale-1-abcd']);
  });
});
