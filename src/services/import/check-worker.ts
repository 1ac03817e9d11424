import { workerData, type MessagePort } from 'node:worker_threads';
import { Secret } from '../../domain/secret.js';
import { checkRecords, decodeAndParse } from './check-rows.js';
import { toWire, type PartJob, type PartReply } from './check-parallel.js';

/**
 * Checks the second part of a large import file on a second core (check-parallel.ts):
 * decodes and parses it, checks each row on its own and sends the result back, then
 * signals the waiting thread. The number index key is zeroed once wrapped, and wiped at the end.
 */
const job = workerData as PartJob & { port: MessagePort; signal: Int32Array };
const indexKey = new Secret(Buffer.from(job.indexKey));
job.indexKey.fill(0);
let reply: PartReply;
try {
  const parsed = decodeAndParse(job.bytes, job.encoding);
  job.bytes.fill(0);
  if (parsed.records === null) reply = { kind: 'unreadable', line: job.lineOffset + parsed.line };
  else {
    const checks = checkRecords(parsed.records, 0, job.lineOffset, { columns: job.columns, headerLength: job.headerLength, today: job.today, purposes: job.purposes, indexKey });
    reply = { kind: 'checked', rows: parsed.records.length, drafts: checks.drafts.map(toWire), errors: checks.errors, warnings: checks.warnings, badEmployees: [...checks.badEmployees] };
  }
} catch (err) {
  reply = { kind: 'failed', reason: err instanceof Error ? err.name : 'error' };
} finally {
  indexKey.wipe();
}
job.port.postMessage(reply);
Atomics.store(job.signal, 0, 1);
Atomics.notify(job.signal, 0);
