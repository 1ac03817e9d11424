import Database from 'better-sqlite3-multiple-ciphers';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { AppError } from '../../src/domain/errors.js';
import { approveDisposal, proposeDisposal } from '../../src/services/disposal.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { retirePerson } from '../../src/services/persons.js';
import { backupsPredating, createBackup, lastBackup, listBackups } from '../../src/services/backup.js';
import { manifestPathOf, parseManifest, readBackups } from '../../src/services/backup-files.js';
import { scheduleDue, parseBackupTime } from '../../src/services/backup-runner.js';
import { restoreBackup } from '../../src/services/restore.js';
import { openVault, type Vault } from '../../src/services/vault.js';
import { AuditRepo } from '../../src/storage/audit-repo.js';
import { DB_CIPHER, openDatabase, writeTransaction } from '../../src/storage/database.js';
import { devCredentialPath } from '../../src/vault/credential.js';
import { auditEvents } from '../helpers/audit.js';
import { forms } from '../helpers/canary.js';
import { syntheticCsv, syntheticNumber } from '../helpers/numbers.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';
import { addStaff, HANDLER } from '../helpers/web.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const CLI = { id: 'cli', name: 'test' };
const N = { e1: syntheticNumber(1, 67), e2: syntheticNumber(2, 67), e3: syntheticNumber(3, 67) };
const CSV = ['種別,社員番号,氏名,個人番号', `従業員,E1,退職 一郎,${N.e1}`, `従業員,E2,在職 二郎,${N.e2}`, `従業員,E3,在職 三郎,${N.e3}`].join('\n');

async function setUp(clock = fixedClock('2035-04-01T00:00:00Z')) {
  const t = await newTestVault(clock);
  await addStaff(t.vault);
  expect(importPersons(t.vault, Buffer.from(CSV), { purposes: ALL_PURPOSES, actor: CLI }).committed).toBe(true);
  const folder = tempDir('mnvault-backups-');
  return { ...t, clock, folder };
}

const backup = (vault: Vault, folder: string, keep?: number) => createBackup(vault, { folder, keep, actor: CLI, client: null, trigger: 'cli' });

function openCopy(path: string, key: Buffer): Database.Database {
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`cipher='${DB_CIPHER}'`);
  db.pragma(`key="raw:${key.toString('hex')}"`);
  return db;
}

/** A decrypted image of a file (rekeyed to no cipher), to show what a scan would find without encryption. */
function decrypted(path: string, key: Buffer): Buffer {
  const dir = tempDir('mnvault-plain-');
  const copy = join(dir, 'plain.db');
  copyFileSync(path, copy);
  const db = openCopy(copy, key);
  db.pragma(`rekey=''`);
  db.close();
  return readFileSync(copy);
}

describe('backup', () => {
  it('cannot use the SQLite backup API on a ciphered vault: SQLite3 Multiple Ciphers refuses rather than writing plaintext', async () => {
    const { vault, folder } = await setUp();
    const target = join(folder, 'api.db');
    await expect(vault.db.backup(target)).rejects.toThrow(/incompatible source and target/u);
    // Whatever it left has no page of the vault in it.
    expect(existsSync(target) ? readFileSync(target).length : 0).toBe(0);
  });

  it('writes an opaque copy: no SQLite header, no name or number, and it opens only with the vault key', async () => {
    const { vault, folder } = await setUp();
    const r = await backup(vault, folder);
    const bytes = readFileSync(r.path);
    expect(bytes.length).toBe(r.manifest.size);
    expect(bytes.includes(Buffer.from('SQLite format 3'))).toBe(false);
    for (const n of Object.values(N)) for (const f of forms(n)) expect(bytes.includes(Buffer.from(f))).toBe(false);
    for (const name of ['退職 一郎', '在職 二郎', ADMIN.login]) expect(bytes.includes(Buffer.from(name))).toBe(false);
    // The control: the same file decrypted does show the names, so the scan above would have found them.
    const plain = decrypted(r.path, vault.dbKey.expose());
    expect(plain.subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    expect(plain.includes(Buffer.from('退職 一郎'))).toBe(true);

    const ok = openCopy(r.path, vault.dbKey.expose());
    expect(ok.prepare('SELECT count(*) FROM persons').pluck().get()).toBe(3);
    ok.close();
    const wrong = openCopy(r.path, randomBytes(32));
    expect(() => wrong.prepare('SELECT count(*) FROM sqlite_master').get()).toThrow(/not a database/u);
    wrong.close();
    const unkeyed = new Database(r.path, { fileMustExist: true });
    expect(() => unkeyed.prepare('SELECT count(*) FROM sqlite_master').get()).toThrow(/not a database/u);
    unkeyed.close();
    // And a number inside is only a sealed box even to the key holder.
    expect(plain.includes(Buffer.from(N.e1))).toBe(false);
  });

  it('writes a manifest beside the copy with the head of the chain inside it, and audits backup.created', async () => {
    const { vault, folder } = await setUp();
    const before = vault.audit.head()!;
    const r = await backup(vault, folder, 3);
    const m = parseManifest(readFileSync(manifestPathOf(r.path), 'utf8'), r.manifest.file);
    expect(m).toMatchObject({ vaultId: vault.vaultId, auditSeq: before.seq, auditHead: before.hash.toString('hex'), cipher: 'aegis', appVersion: '0.1.0', predatesLatestDisposal: false, disposalsIncluded: [] });
    expect(m.schemaVersion).toBeGreaterThanOrEqual(8);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/u);
    const ev = auditEvents(vault).at(-1)!;
    expect(ev).toMatchObject({ action: 'backup.created', actorId: 'cli', detail: { file: m.file, audit_seq: before.seq, sha256: m.sha256, keep: 3, trigger: 'cli' } });
    expect(lastBackup(vault)).toMatchObject({ state: 'ok', file: m.file });
    // The disposal ledger travels with the backups (issue 11): record ids only, authenticated.
    expect(readdirSync(folder).sort()).toEqual(['disposal-ledger.json', m.file, m.file.replace(/\.db$/u, '.json')].sort());
  });

  it('copies a consistent snapshot while the same process keeps writing: the copy verifies and its head is on the live chain', async () => {
    const { vault, folder } = await setUp();
    expect(importPersons(vault, Buffer.from(syntheticCsv(3000, 71)), { purposes: ALL_PURPOSES, actor: CLI }).committed).toBe(true);
    let writing = true;
    let appended = 0;
    const writer = (async () => {
      while (writing) {
        writeTransaction(vault.db, () => vault.audit.append({ actor: CLI, action: 'settings.updated', detail: { key: 'loop', after: appended } }));
        appended++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const progress: number[] = [];
    const r = await createBackup(vault, { folder, actor: CLI, client: null, trigger: 'cli', offThread: true, onProgress: (p) => progress.push(p.pagesCopied) });
    writing = false;
    await writer;
    expect(appended).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(r.pages.totalPages);

    const copy = openDatabase(r.path, vault.dbKey, { readonly: true });
    try {
      const repo = new AuditRepo(copy);
      const v = verifyChain(repo, vault.keys.audit);
      expect(v.ok).toBe(true);
      expect(v.ok && v.head?.seq).toBe(r.manifest.auditSeq);
      // A prefix: the live chain has the same hash at the copy's head.
      const live = [...vault.auditRepo.iterateRaw(r.manifest.auditSeq, r.manifest.auditSeq)][0]!;
      expect(live[11].toString('hex')).toBe(r.manifest.auditHead);
      expect(vault.audit.head()!.seq).toBeGreaterThan(r.manifest.auditSeq);
      expect(copy.prepare('SELECT count(*) FROM persons').pluck().get()).toBe(3003);
    } finally {
      copy.close();
    }
  });

  it('keeps the newest N, and the next backup clears what an interrupted one left, never a foreign file', async () => {
    const { vault, folder, clock } = await setUp();
    const made: string[] = [];
    for (let i = 0; i < 4; i++) {
      made.push((await backup(vault, folder, 2)).manifest.file);
      clock.advance(60_000);
    }
    expect(readBackups(folder).map((b) => b.manifest.file)).toEqual([made[3], made[2]]);
    expect(auditEvents(vault).filter((e) => e.action === 'backup.created').at(-1)!.detail.removed).toBe(made[1]);
    writeFileSync(join(folder, `.mnvault-backup-999999-abcd.db.tmp`), 'partial');
    writeFileSync(join(folder, 'mnvault-20350101T000000Z-abcdef.db'), 'orphan without manifest');
    writeFileSync(join(folder, 'notes.txt'), 'operator file');
    writeFileSync(join(folder, '.mnvault-backup.lock'), '999999'); // left by a killed process
    expect(readBackups(folder)).toHaveLength(2);
    await backup(vault, folder, 2);
    expect(readdirSync(folder).filter((n) => !/^mnvault-.*\.(db|json)$/u.test(n))).toEqual(['disposal-ledger.json', 'notes.txt']);
    expect(readBackups(folder)).toHaveLength(2);
  });

  it('refuses a folder it cannot use and records backup.failed for the home page', async () => {
    const { vault, dataDir } = await setUp();
    await expect(backup(vault, join(dataDir, 'inside'))).rejects.toMatchObject({ code: 'invalid' });
    await expect(backup(vault, dataDir)).rejects.toThrow(/データフォルダーの中/u);
    const ev = auditEvents(vault).at(-1)!;
    expect(ev.action).toBe('backup.failed');
    expect(String(ev.detail.reason)).toMatch(/データフォルダーの中/u);
    expect(lastBackup(vault)).toMatchObject({ state: 'failed', trigger: 'cli' });
  });

  it('flags a backup made before a later disposal, with the date such backups age out, and not one made after', async () => {
    const { vault, folder } = await setUp();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const handler = vault.users.byLogin(HANDLER.login)!;
    const e1 = vault.persons.codes('employee').get('E1')!;
    retirePerson(vault, CLI, e1, '2026-03-31', null);
    const old = await backup(vault, folder);
    expect(listBackups(vault, folder)[0]!.flagged).toBe(false);
    const id = proposeDisposal(vault, handler, { personIds: [String(e1)] }, null);
    approveDisposal(vault, admin, id, null);
    const after = await backup(vault, folder);
    const list = listBackups(vault, folder);
    const byName = new Map(list.map((b) => [b.name, b]));
    expect(byName.get(old.manifest.file)).toMatchObject({ flagged: true, disposal: { id, backupsAgedOutOn: vault.retention.disposal(id)!.backupsAgedOutOn } });
    expect(byName.get(after.manifest.file)).toMatchObject({ flagged: false, disposal: null });
    expect(after.manifest.disposalsIncluded).toEqual([id]);
    expect(backupsPredating(vault, id)).toHaveLength(0); // no backup_dir configured
    vault.meta.set('backup_dir', folder);
    expect(backupsPredating(vault, id).map((b) => b.name)).toEqual([old.manifest.file]);
  });
});

describe('restore', () => {
  async function made() {
    const s = await setUp();
    const r = await backup(s.vault, s.folder);
    const pinFile = new Secret(HANDLER.pin);
    return { ...s, r, pinFile, credential: { path: devCredentialPath(s.dataDir), development: true } };
  }
  const target = () => join(tempDir('mnvault-restore-'), 'new');

  it('restores onto a fresh folder: checksum, the whole chain, a PIN slot and one number opened; the drill is audited there', async () => {
    const { r, credential, vault } = await made();
    const newDir = target();
    const res = await restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') });
    expect(res).toMatchObject({ verifiedCount: r.manifest.auditSeq, slotKind: 'pin' });
    expect(res.drillPersonId).toBe(vault.persons.codes('employee').get('E1'));
    const restored = openVault({ dataDir: newDir, clock: fixedClock('2035-05-01T00:00:00Z') });
    try {
      expect(restored.vaultId).toBe(vault.vaultId);
      expect(verifyChain(restored.auditRepo, restored.keys.audit).ok).toBe(true);
      const tail = auditEvents(restored, r.manifest.auditSeq + 1);
      expect(tail.map((e) => e.action)).toEqual(['backup.restored', 'restore.drill']);
      expect(tail[1]).toMatchObject({ subjects: [{ id: res.drillPersonId }], detail: { result: 'opened', slot_kind: 'pin' } });
      expect(JSON.stringify(tail)).not.toContain(N.e1);
    } finally {
      restored.close();
    }
  });

  it('a restore stopped half-way leaves a vault nothing opens, and says how to start again', async () => {
    const { r, credential } = await made();
    const newDir = target();
    await restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') });
    // As if killed after the copy was renamed into place but before the checks and the drill were recorded.
    const { restoreMarkerPath } = await import('../../src/services/restore.js');
    writeFileSync(restoreMarkerPath(newDir), 'restore in progress\n');
    expect(() => openVault({ dataDir: newDir, clock: fixedClock('2035-05-01T00:00:00Z') })).toThrow(expect.objectContaining({ code: 'no_vault', publicMessage: expect.stringContaining('途中で止まっています') }));
    await expect(restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') })).rejects.toMatchObject({ code: 'conflict', publicMessage: expect.stringContaining('途中で止まった復元') });
  });

  it('also opens with the recovery code', async () => {
    const { r, credential, recoveryCode } = await made();
    const res = await restoreBackup({ from: r.path, dataDir: target(), credential, copyCredential: false, unlock: { kind: 'recovery', code: new Secret(recoveryCode) }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') });
    expect(res.slotKind).toBe('recovery');
  });

  it('fails with a clear message under another credential, and leaves nothing behind', async () => {
    const { r } = await made();
    const keyDir = tempDir();
    writeFileSync(join(keyDir, 'db-key'), randomBytes(32));
    const newDir = target();
    const err = await restoreBackup({ from: r.path, dataDir: newDir, credential: { path: join(keyDir, 'db-key'), development: true }, copyCredential: true, unlock: { kind: 'pin', pin: new Secret(HANDLER.pin) }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('wrong_key');
    expect((err as AppError).publicMessage).toMatch(/データベース鍵（db-key）がこのバックアップと一致しない/u);
    expect(existsSync(newDir)).toBe(false);
  });

  it('a wrong PIN: unauthorized, and the folder it made is gone; an empty folder given is left empty', async () => {
    const { r, credential } = await made();
    const newDir = target();
    await expect(restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret('000000') }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(existsSync(newDir)).toBe(false);
    mkdirSync(newDir);
    await expect(restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: true, unlock: { kind: 'pin', pin: new Secret('000000') }, actor: CLI, clock: fixedClock('2035-05-01T00:00:00Z') })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(readdirSync(newDir)).toEqual([]);
  });

  it('refuses a changed file (checksum) and a folder that already holds a vault', async () => {
    const { r, credential, dataDir } = await made();
    const unlock = { kind: 'pin' as const, pin: new Secret(HANDLER.pin) };
    const clock = fixedClock('2035-05-01T00:00:00Z');
    await expect(restoreBackup({ from: r.path, dataDir, credential, copyCredential: false, unlock, actor: CLI, clock })).rejects.toMatchObject({ code: 'conflict' });
    const bytes = readFileSync(r.path);
    bytes[bytes.length - 100]! ^= 1;
    writeFileSync(r.path, bytes);
    const newDir = target();
    await expect(restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: false, unlock, actor: CLI, clock })).rejects.toMatchObject({ code: 'tampered' });
    expect(existsSync(newDir)).toBe(false);
    rmSync(manifestPathOf(r.path));
    await expect(restoreBackup({ from: r.path, dataDir: newDir, credential, copyCredential: false, unlock, actor: CLI, clock })).rejects.toThrow(/マニフェスト/u);
  });
});

describe('backup schedule', () => {
  it('is due once a Japan day, from the set time on', () => {
    // 2035-04-01 01:59 JST = 2035-03-31T16:59Z
    expect(scheduleDue(new Date('2035-03-31T16:59:00Z'), '02:00', '2035-03-31')).toBe(false);
    expect(scheduleDue(new Date('2035-03-31T17:00:00Z'), '02:00', '2035-03-31')).toBe(true);
    expect(scheduleDue(new Date('2035-03-31T17:00:00Z'), '02:00', '2035-04-01')).toBe(false);
    expect(scheduleDue(new Date('2035-04-01T14:59:00Z'), '23:30', undefined)).toBe(true);
    expect(parseBackupTime('2:05')).toBe('02:05');
    expect(() => parseBackupTime('24:00')).toThrow(/00:00〜23:59/u);
  });
});
