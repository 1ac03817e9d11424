import { parentPort, workerData } from 'node:worker_threads';
import { Secret } from '../domain/secret.js';
import { vacuumInto } from './backup-copy.js';

/** Runs one backup copy (VACUUM INTO) on its own connection, off the server's event loop. */
interface Job {
  srcPath: string;
  dbKey: Uint8Array;
  target: string;
}

const job = workerData as Job;
const key = new Secret(Buffer.from(job.dbKey));
job.dbKey.fill(0);
try {
  vacuumInto(job.srcPath, key, job.target);
  parentPort!.postMessage({ ok: true });
} catch (err) {
  // Only the class and SQLite's code go back: messages may name paths, never values, but stay terse.
  const e = err as { name?: string; code?: string };
  parentPort!.postMessage({ ok: false, error: `${e?.name ?? typeof err}${e?.code ? ` ${e.code}` : ''}` });
} finally {
  key.wipe();
}
