import { parentPort, workerData } from 'node:worker_threads';
import { Secret } from '../domain/secret.js';
import { AuditRepo } from '../storage/audit-repo.js';
import { openDatabase } from '../storage/database.js';
import { verifyRows } from './chain.js';

/** Verifies one seq range on its own read-only connection; the parent checks the seams. */
interface Job {
  dbPath: string;
  dbKey: Uint8Array;
  auditKey: Uint8Array;
  fromSeq: number;
  toSeq: number;
}

const PROGRESS_EVERY = 50_000;
const job = workerData as Job;
const dbKey = new Secret(Buffer.from(job.dbKey));
const auditKey = new Secret(Buffer.from(job.auditKey));
job.dbKey.fill(0);
job.auditKey.fill(0);
const db = openDatabase(job.dbPath, dbKey, { readonly: true });
dbKey.wipe();
try {
  const repo = new AuditRepo(db);
  const erased = repo.names.erased();
  let firstPrev: Buffer | undefined;
  let unreported = 0;
  const rows = (function* () {
    for (const r of repo.iterateRaw(job.fromSeq, job.toSeq)) {
      firstPrev ??= r[10];
      // Progress for a waiting page: how many more rows this range has checked.
      if (++unreported === PROGRESS_EVERY) {
        parentPort!.postMessage({ progress: unreported });
        unreported = 0;
      }
      yield r;
    }
  })();
  const result = verifyRows(rows, auditKey, job.fromSeq, undefined, erased);
  if (unreported) parentPort!.postMessage({ progress: unreported });
  parentPort!.postMessage({ result, firstPrev });
} finally {
  db.close();
  auditKey.wipe();
}
