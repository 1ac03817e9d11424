import { Secret } from '../domain/secret.js';
import { vacuumInto } from './backup-copy.js';

/**
 * Runs one backup copy (VACUUM INTO) on its own connection in a child
 * process, off the server's event loop. A process, not a worker thread: a
 * stopping service can kill it mid-copy (SIGKILL) safely, which a thread
 * inside SQLite's native call cannot be. Speaks over the fork IPC channel only.
 */
interface Job {
  srcPath: string;
  /** The database key, over the private IPC pipe. */
  dbKey: Uint8Array;
  target: string;
}

process.once('message', (job: Job) => {
  const key = new Secret(Buffer.from(job.dbKey));
  job.dbKey.fill(0);
  let reply: { ok: boolean; error?: string };
  try {
    vacuumInto(job.srcPath, key, job.target);
    reply = { ok: true };
  } catch (err) {
    // Only the class and SQLite's code go back: messages may name paths, never values, but stay terse.
    const e = err as { name?: string; code?: string };
    reply = { ok: false, error: `${e?.name ?? typeof err}${e?.code ? ` ${e.code}` : ''}` };
  } finally {
    key.wipe();
  }
  process.send!(reply, undefined, {}, () => process.disconnect());
});
