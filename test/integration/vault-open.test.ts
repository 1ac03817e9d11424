import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { initVault } from '../../src/services/init-vault.js';
import { openVault } from '../../src/services/vault.js';
import { schemaVersion, loadMigrations } from '../../src/storage/migrate.js';
import { devCredentialPath, locateCredential } from '../../src/vault/credential.js';
import { TEST_PIN_COST, unlockSlot } from '../../src/vault/slots.js';
import { publicFromPrivate } from '../../src/vault/x25519.js';
import { ADMIN, newTestVault, tempDir } from '../helpers/vault.js';

const clock = fixedClock('2026-04-01T00:00:00Z');

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
  return 'no error';
}

describe('opening a vault', () => {
  it('reopens with its credential, with every migration applied and WAL, foreign keys and secure_delete on', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const again = openVault({ dataDir, clock });
    try {
      expect(schemaVersion(again.db)).toBe(Math.max(...loadMigrations().map((m) => m.version)));
      expect(again.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(again.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(again.db.pragma('secure_delete', { simple: true })).toBe(1);
      expect(again.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(again.users.byLogin(ADMIN.login)?.role).toBe('admin');
    } finally {
      again.close();
    }
  });

  it('stores the database encrypted: no SQLite header and no plain text', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const bytes = readFileSync(join(dataDir, 'vault.db'));
    expect(bytes.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000');
    expect(bytes.includes(Buffer.from(ADMIN.login))).toBe(false);
    expect(bytes.includes(Buffer.from('audit_events'))).toBe(false);
  });

  it('writes the development credential with mode 0600 in a 0700 folder', async () => {
    const { dataDir } = await newTestVault();
    const path = devCredentialPath(dataDir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'credentials')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path).length).toBe(32);
  });

  it('refuses a wrong key with wrong_key and leaves the file untouched', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const before = readFileSync(join(dataDir, 'vault.db'));
    writeFileSync(devCredentialPath(dataDir), randomBytes(32));
    expect(await codeOf(() => openVault({ dataDir, clock }))).toBe('wrong_key');
    expect(readFileSync(join(dataDir, 'vault.db')).equals(before)).toBe(true);
  });

  it('refuses a missing key with missing_key', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const elsewhere = tempDir();
    expect(await codeOf(() => openVault({ dataDir, credentialsDirectory: elsewhere, clock }))).toBe('missing_key');
  });

  it('takes the key from $CREDENTIALS_DIRECTORY/db-key when systemd provides it', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const credDir = tempDir();
    writeFileSync(join(credDir, 'db-key'), readFileSync(devCredentialPath(dataDir)));
    const v = openVault({ dataDir, credentialsDirectory: credDir, production: true, clock });
    expect(v.credential.development).toBe(false);
    v.close();
  });

  it('refuses the development key in production mode', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    expect(await codeOf(() => openVault({ dataDir, production: true, clock }))).toBe('missing_key');
  });

  it('reports a folder without a vault as no_vault and creates nothing there', async () => {
    const dir = join(tempDir(), 'empty');
    expect(await codeOf(() => openVault({ dataDir: dir, clock }))).toBe('no_vault');
    expect(existsSync(join(dir, 'vault.db'))).toBe(false);
  });

  it('never initialises over an existing vault', async () => {
    const { vault, dataDir } = await newTestVault();
    vault.close();
    const before = readFileSync(join(dataDir, 'vault.db'));
    const code = await codeOf(() =>
      initVault({
        dataDir,
        credential: new Secret(randomBytes(32)),
        credentialLocation: locateCredential(dataDir, undefined),
        admin: { login: 'other', password: new Secret('another long password'), pin: new Secret('975310') },
        clock,
        pinCost: TEST_PIN_COST,
      }),
    );
    expect(code).toBe('conflict');
    expect(readFileSync(join(dataDir, 'vault.db')).equals(before)).toBe(true);
  });

  it('rejects a weak admin PIN or password before creating anything', async () => {
    const dataDir = join(tempDir(), 'data');
    const base = { dataDir, credential: new Secret(randomBytes(32)), credentialLocation: locateCredential(dataDir, undefined), clock, pinCost: TEST_PIN_COST };
    expect(await codeOf(() => initVault({ ...base, admin: { login: 'kanri', password: new Secret('short'), pin: new Secret('246810') } }))).toBe('invalid');
    expect(await codeOf(() => initVault({ ...base, admin: { login: 'kanri', password: new Secret('long enough password'), pin: new Secret('123456') } }))).toBe('invalid');
    expect(existsSync(join(dataDir, 'vault.db'))).toBe(false);
  });

  it('opens the vault private key from the admin PIN slot and from the recovery slot', async () => {
    const { vault, recoveryCode } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const pinSlot = vault.slots.pinSlotOf(admin.id)!;
    const k1 = await unlockSlot(pinSlot, { kind: 'pin', pin: new Secret(ADMIN.pin) }, vault.keys.pepper);
    expect(publicFromPrivate(k1.expose()).equals(vault.publicKey)).toBe(true);
    const k2 = await unlockSlot(vault.slots.recoverySlot()!, { kind: 'recovery', code: new Secret(recoveryCode) }, vault.keys.pepper);
    expect(k2.expose().equals(k1.expose())).toBe(true);
    k1.wipe();
    k2.wipe();
    await expect(unlockSlot(pinSlot, { kind: 'pin', pin: new Secret('975310') }, vault.keys.pepper)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('records init on the audit trail: vault, admin and both slots', async () => {
    const { vault } = await newTestVault();
    const actions = [...vault.auditRepo.iterateRaw(1)].map((r) => r[4]);
    expect(actions).toEqual(['vault.initialised', 'user.created', 'slot.added', 'slot.added']);
  });
});
