import { loadConfig } from '../config.js';
import { reportError } from './output.js';
import { systemClock } from '../domain/ports.js';
import { errorCode, publicMessage } from '../domain/errors.js';
import { importPersons, type ImportOptions } from '../services/import/import-persons.js';
import { openVault } from '../services/vault.js';

/**
 * Runs one CSV import for the web app in a process of its own, opened with the
 * same credential the service has, so the memory of a large import goes back
 * to the system when it ends. Speaks over the fork IPC channel only.
 */
interface Job {
  dataDir: string;
  bytes: Uint8Array;
  opts: Pick<ImportOptions, 'actor' | 'client' | 'skipInvalid' | 'purposes'>;
}

/** Sends the answer, then lets go of the channel once it has really gone out. */
function reply(message: unknown, code: number): void {
  process.exitCode = code;
  process.send!(message, undefined, {}, () => process.disconnect());
}

process.once('message', (job: Job) => {
  try {
    const config = loadConfig(process.env);
    const vault = openVault({ dataDir: job.dataDir, credentialsDirectory: config.credentialsDirectory, production: config.mode === 'production', clock: systemClock });
    try {
      const report = importPersons(vault, job.bytes, job.opts);
      reply({ ok: true, report }, 0);
    } finally {
      job.bytes.fill(0);
      vault.close();
    }
  } catch (err) {
    reply({ ok: false, code: errorCode(err), message: publicMessage(err) }, reportError(err));
  }
});
