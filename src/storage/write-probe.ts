import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const PROBE_PREFIX = '.mnvault-write-check-';

/**
 * Writes, fsyncs and removes a small file in `dir`. Throws the system error
 * (ENOSPC, EROFS, EACCES…) when the folder cannot take a write; the probe file
 * is removed whatever happened, also after a write that failed half-way.
 */
export function probeWrite(dir: string): void {
  const probe = join(dir, `${PROBE_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'mnvault');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(probe, { force: true });
  }
}
