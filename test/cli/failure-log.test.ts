import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { deriveFromCredential } from '../../src/vault/credential.js';
import { forms } from '../helpers/canary.js';
import { mnvault } from '../helpers/cli.js';
import { syntheticNumber } from '../helpers/numbers.js';
import { tempDir } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const IN_CSV = syntheticNumber(301, 4);
const IN_MESSAGE = syntheticNumber(302, 4);

/** A dev vault made by the CLI whose persons table aborts every insert with a message holding a number. */
function brokenVault(): { data: string; csv: string } {
  const work = tempDir();
  const data = join(work, 'data');
  writeFileSync(join(work, 'pw'), 'a long admin password\n', { mode: 0o600 });
  writeFileSync(join(work, 'pin'), '73915482\n', { mode: 0o600 });
  const init = mnvault(['init', '--data', data, '--dev', '--admin-user', 'kanri', '--admin-password-file', join(work, 'pw'), '--admin-pin-file', join(work, 'pin')]);
  expect(init.status).toBe(0);
  const key = deriveFromCredential(new Secret(readFileSync(join(data, 'credentials', 'db-key'))), 'sqlite');
  const db = new Database(join(data, 'vault.db'));
  db.pragma("cipher='aegis'");
  db.pragma(`key="raw:${key.expose().toString('hex')}"`);
  db.exec(`CREATE TRIGGER provoke BEFORE INSERT ON persons BEGIN SELECT RAISE(ABORT, 'provoked for ${IN_MESSAGE}'); END;`);
  db.close();
  const csv = join(work, 'in.csv');
  writeFileSync(csv, `種別,社員番号,氏名,個人番号\n従業員,E1,山田 太郎,${IN_CSV}\n`);
  return { data, csv };
}

describe('an unexpected error in a command', () => {
  it('logs one JSON line with the reference id the user sees, classes, codes and frames, and no number', () => {
    const { data, csv } = brokenVault();
    const r = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), csv]);
    expect(r.status).toBe(3);
    const ref = /参照ID: ([0-9a-f]{8})/u.exec(r.stderr)?.[1];
    expect(ref).toBeDefined();
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { ref: string; event: string; command: string; error: { class: string; sqlite: string; frames: string[] } };
    expect(line).toMatchObject({ event: 'command_failed', command: 'import', ref });
    expect(line.error).toMatchObject({ class: 'SqliteError', sqlite: 'SQLITE_CONSTRAINT_TRIGGER' });
    expect(line.error.frames.some((f) => /\(dist\/src\/[\w/.-]+\.js:\d+:\d+\)$/u.test(f))).toBe(true);
    // The frames name the import's own code (the log keeps the innermost ten, so which import function shows depends on depth).
    expect(line.error.frames.some((f) => f.includes('(dist/src/services/import/import-persons.js:'))).toBe(true);
    for (const n of [IN_CSV, IN_MESSAGE]) for (const f of forms(n)) expect(r.stderr + r.stdout).not.toContain(f);
    expect(r.stderr).not.toContain('provoked');
    expect(r.stderr).not.toContain(data);
  });

  it('with MNVAULT_DEBUG=1 also prints the message with the number masked', () => {
    const { data, csv } = brokenVault();
    const r = mnvault(['import', '--data', data, '--purposes', ALL_PURPOSES.join(','), csv], { MNVAULT_DEBUG: '1' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('詳細（MNVAULT_DEBUG）: SqliteError: provoked for ［番号のような数字］');
    for (const n of [IN_CSV, IN_MESSAGE]) for (const f of forms(n)) expect(r.stderr + r.stdout).not.toContain(f);
  });

  it('refuses MNVAULT_DEBUG=1 in production mode with a clear message', () => {
    const r = mnvault(['audit', 'verify', '--data', tempDir()], { MNVAULT_DEBUG: '1', MNVAULT_MODE: 'production' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('MNVAULT_DEBUG: 本番モード');
    const systemd = mnvault(['audit', 'verify', '--data', tempDir()], { MNVAULT_DEBUG: '1', CREDENTIALS_DIRECTORY: tempDir() });
    expect(systemd.status).toBe(2);
    expect(systemd.stderr).toContain('MNVAULT_DEBUG: 本番モード');
  });

  it('logs a failure outside any command (a timer throwing after the command ended) the same way', () => {
    const work = tempDir();
    const preload = join(work, 'late-throw.mjs');
    // Throws once the CLI has set up its handlers (its modules take a while to load).
    writeFileSync(preload, `const t = setInterval(() => { if (process.listenerCount('uncaughtException') > 0) { clearInterval(t); throw new Error('late failure for ${IN_MESSAGE}'); } }, 20);\n`);
    const r = mnvault(['help'], { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` });
    expect(r.status).toBe(3);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { event: string; ref: string; error: { class: string; frames: string[] } };
    expect(line).toMatchObject({ event: 'uncaught_exception', error: { class: 'Error' } });
    expect(line.ref).toMatch(/^[0-9a-f]{8}$/u);
    expect(line.error.frames.length).toBeGreaterThan(0);
    for (const f of forms(IN_MESSAGE)) expect(r.stderr).not.toContain(f);
    expect(r.stderr).not.toContain('late failure');
  });
});
