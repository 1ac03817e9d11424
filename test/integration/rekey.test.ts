import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/domain/ports.js';
import { Secret } from '../../src/domain/secret.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { rekeyVault, type RekeyStep } from '../../src/services/rekey.js';
import { databasePath, openVault } from '../../src/services/vault.js';
import { openDatabase } from '../../src/storage/database.js';
import { deriveFromCredential, devCredentialPath } from '../../src/vault/credential.js';
import { DevCredentialStore, pendingDevCredentialPath, SystemdCredentialStore } from '../../src/vault/credential-store.js';
import { auditEvents } from '../helpers/audit.js';
import { keyFromPin, openAllNumbers } from '../helpers/keys.js';
import { syntheticCsv } from '../helpers/numbers.js';
import { newTestVault, tempDir } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const clock = fixedClock('2026-04-02T00:00:00Z');

async function vaultWithNumbers(): Promise<{ dataDir: string; numbers: Map<number, string> }> {
  const { vault, dataDir } = await newTestVault();
  importPersons(vault, Buffer.from(syntheticCsv(300, 5)), { purposes: ALL_PURPOSES, actor: { id: 't', name: 't' }, skipInvalid: false });
  const numbers = await openAllNumbers(vault, await keyFromPin(vault));
  vault.close();
  return { dataDir, numbers };
}

function opensUnder(dataDir: string, credential: Buffer): boolean {
  const key = deriveFromCredential(new Secret(Buffer.from(credential)), 'sqlite');
  try {
    openDatabase(databasePath(dataDir), key).close();
    return true;
  } catch {
    return false;
  }
}

async function checkOpens(dataDir: string, numbers: Map<number, string>): Promise<number> {
  const vault = openVault({ dataDir, clock });
  try {
    expect(verifyChain(vault.auditRepo, vault.keys.audit).ok).toBe(true);
    expect(await openAllNumbers(vault, await keyFromPin(vault))).toEqual(numbers);
    return auditEvents(vault).filter((e) => e.action === 'vault.rekeyed').length;
  } finally {
    vault.close();
  }
}

describe('mnvault rekey (database key)', () => {
  it('replaces the development credential and re-keys the database; the old key no longer opens it', async () => {
    const { dataDir, numbers } = await vaultWithNumbers();
    const old = readFileSync(devCredentialPath(dataDir));
    const r = rekeyVault({ dataDir, store: new DevCredentialStore(dataDir), clock });
    expect(r.resumed).toBe(false);
    const now = readFileSync(devCredentialPath(dataDir));
    expect(now.equals(old)).toBe(false);
    expect(now.length).toBe(32);
    expect(statSync(devCredentialPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(opensUnder(dataDir, old)).toBe(false);
    expect(opensUnder(dataDir, now)).toBe(true);
    expect(await checkOpens(dataDir, numbers)).toBe(1);
  });

  it('refuses while the vault is open elsewhere, changing nothing', async () => {
    const { vault, dataDir } = await newTestVault();
    const old = readFileSync(devCredentialPath(dataDir));
    expect(() => rekeyVault({ dataDir, store: new DevCredentialStore(dataDir), clock })).toThrow(/使用中/u);
    expect(readFileSync(devCredentialPath(dataDir)).equals(old)).toBe(true);
    expect(existsSync(pendingDevCredentialPath(dataDir))).toBe(false);
    expect(vault.meta.get('vault_id')).toBe(vault.vaultId);
  });

  const steps: RekeyStep[] = ['pending_written', 'keyring_prepared', 'database_rekeyed', 'keyring_promoted'];
  it.each(steps)('stopped right after %s, opens under the old or the new key and a second run finishes', async (stop) => {
    const { dataDir, numbers } = await vaultWithNumbers();
    const old = readFileSync(devCredentialPath(dataDir));
    expect(() =>
      rekeyVault({ dataDir, store: new DevCredentialStore(dataDir), clock, onStep: (s) => { if (s === stop) throw new Error('stop'); } }),
    ).toThrow('stop');
    const pending = readFileSync(pendingDevCredentialPath(dataDir));
    expect(opensUnder(dataDir, old) || opensUnder(dataDir, pending)).toBe(true);
    if (!opensUnder(dataDir, old)) {
      // The service, started now with the old key, says what to do.
      expect(() => openVault({ dataDir, clock })).toThrow(/mnvault rekey --data .* をもう一度実行/u);
    }
    const r = rekeyVault({ dataDir, store: new DevCredentialStore(dataDir), clock });
    expect(r.resumed).toBe(true);
    expect(readFileSync(devCredentialPath(dataDir)).equals(pending)).toBe(true);
    expect(await checkOpens(dataDir, numbers)).toBe(1);
  });

  it('in production writes the new credential with systemd-creds to the target path', async () => {
    const { dataDir, numbers } = await vaultWithNumbers();
    const root = tempDir();
    // A stand-in for systemd-creds: "encrypts" by hex encoding with a header, checks --name.
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'systemd-creds'),
      `#!/usr/bin/env node
const fs = require('node:fs');
const [cmd, name, ...rest] = process.argv.slice(2);
if (name !== '--name=db-key') process.exit(3);
if (cmd === 'encrypt') { const out = rest[rest.length - 1]; fs.writeFileSync(out, 'FAKECRED ' + fs.readFileSync(0).toString('hex')); }
else if (cmd === 'decrypt') { const t = fs.readFileSync(rest[0], 'utf8'); process.stdout.write(Buffer.from(t.slice(9), 'hex')); }
else process.exit(4);
`,
    );
    chmodSync(join(bin, 'systemd-creds'), 0o755);
    const credDir = join(root, 'creds');
    mkdirSync(credDir);
    writeFileSync(join(credDir, 'db-key'), readFileSync(devCredentialPath(dataDir)));
    const target = join(root, 'db-key.cred');
    const store = new SystemdCredentialStore(credDir, target, join(bin, 'systemd-creds'));
    rekeyVault({ dataDir, store, clock });
    const written = readFileSync(target, 'utf8');
    expect(written.startsWith('FAKECRED ')).toBe(true);
    const fresh = Buffer.from(written.slice(9), 'hex');
    expect(opensUnder(dataDir, fresh)).toBe(true);
    // The service would now get the new key from its credential.
    writeFileSync(devCredentialPath(dataDir), fresh);
    expect(await checkOpens(dataDir, numbers)).toBe(1);
  });
});
