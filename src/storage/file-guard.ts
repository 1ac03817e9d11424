import { statSync } from 'node:fs';
import { storageFault } from '../domain/storage-faults.js';
import { beforeWrite, type Db } from './database.js';

/**
 * Watches that the database file the connection opened is still the one at
 * its path. SQLite keeps writing to an open file after its folder is deleted
 * (the writes are acknowledged and lost at close), so each write checks
 * first and is refused with 'missing' when the file is gone or replaced.
 */
export function guardFile(db: Db, path: string): { present(): boolean; stop(): void } {
  const identity = (): string | undefined => {
    try {
      const st = statSync(path);
      return `${st.dev}:${st.ino}`;
    } catch {
      return undefined;
    }
  };
  const opened = identity();
  const present = () => opened !== undefined && identity() === opened;
  const stop = beforeWrite(db, () => {
    if (!present()) throw storageFault('missing', { detail: path });
  });
  return { present, stop };
}
