import { createCipheriv, hkdfSync, generateKeyPairSync, createPublicKey, diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { AppError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser, setUserPin } from '../../src/services/accounts.js';
import { importPersons } from '../../src/services/import/import-persons.js';
import { rotateVaultKey } from '../../src/services/key-rotation.js';
import { NUMBER_FIELD, numberRecordId } from '../../src/services/numbers.js';
import { readRotation } from '../../src/storage/rotation-state.js';
import { openVault, type Vault } from '../../src/services/vault.js';
import { Opener, sealedKeyId, vaultKeyId } from '../../src/vault/sealed-box.js';
import { TEST_PIN_COST } from '../../src/vault/slots.js';
import { publicFromPrivate } from '../../src/vault/x25519.js';
import { auditEvents } from '../helpers/audit.js';
import { keyFromPin, openAllNumbers, slotRowAnyState, tryUnlock } from '../helpers/keys.js';
import { syntheticCsv } from '../helpers/numbers.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';
import { ALL_PURPOSES } from '../helpers/purposes.js';

const actor = { id: 'test', name: 'テスト担当' };
const HANDLER = { login: 'tanaka', pin: '135790' };

/** A version 1 box as vaults made before the key id existed hold them (the documented v1 format). */
function sealV1(vaultPublic: Buffer, plaintext: Buffer, recordId: string, field: string): Buffer {
  const eph = generateKeyPairSync('x25519');
  const ephPub = Buffer.from(eph.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: vaultPublic.toString('base64url') }, format: 'jwk' }) });
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephPub, vaultPublic]), 'mnvault sealed-box v1', 32));
  const nonce = Buffer.alloc(12, 7);
  const id = Buffer.from(recordId);
  const f = Buffer.from(field);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.concat([Buffer.from('mnvault/v1'), u16(id.length), id, u16(f.length), f]));
  return Buffer.concat([Buffer.from([1]), ephPub, nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
}

async function setup(n: number): Promise<{ vault: Vault; dataDir: string; recoveryCode: string; before: Map<number, string> }> {
  const t = await newTestVault();
  const { vault } = t;
  const r = importPersons(vault, Buffer.from(syntheticCsv(n, 11)), { purposes: ALL_PURPOSES, actor, skipInvalid: false });
  expect(r.committed).toBe(true);
  // Half of the numbers as an older vault holds them: sealed box version 1.
  const rows = vault.db.prepare("SELECT person_id, sealed FROM person_numbers WHERE state = 'held' AND person_id % 2 = 0").all() as { person_id: number; sealed: Buffer }[];
  const key = await keyFromPin(vault);
  const opener = new Opener(key.expose(), vault.publicKey);
  const upd = vault.db.prepare('UPDATE person_numbers SET sealed = ? WHERE person_id = ?');
  for (const row of rows) {
    const plain = opener.open(row.sealed, numberRecordId(row.person_id), NUMBER_FIELD);
    upd.run(sealV1(vault.publicKey, plain, numberRecordId(row.person_id), NUMBER_FIELD), row.person_id);
  }
  key.wipe();
  const admin = vault.users.byLogin(ADMIN.login)!;
  const handler = await createUser(vault, actor, { login: HANDLER.login, displayName: '田中 一郎', role: 'handler', password: new Secret('handler password 1') }, null);
  await setUserPin(vault, admin, handler.id, new Secret(ADMIN.pin), new Secret(HANDLER.pin), null, TEST_PIN_COST);
  const before = await openAllNumbers(vault, await keyFromPin(vault));
  expect(before.size).toBeGreaterThan(n * 0.8);
  return { ...t, before };
}

describe('vault key rotation', () => {
  it('re-seals every number, replaces the slots, and leaves the old key and slots opening nothing', async () => {
    const { vault, recoveryCode, before } = await setup(2500);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const oldKey = await keyFromPin(vault);
    const oldAdminSlot = vault.slots.pinSlotOf(admin.id)!;
    const oldHandlerSlot = vault.slots.pinSlotOf(vault.users.byLogin(HANDLER.login)!.id)!;
    const oldRecovery = vault.slots.recoverySlot()!;
    const batches: number[] = [];

    const result = await rotateVaultKey(vault, { operator: admin, pin: new Secret(ADMIN.pin), batchSize: 500, onBatch: (p) => batches.push(p.cursor) });

    expect(result.completed).toBe(true);
    expect(result.resealed).toBe(before.size);
    expect(batches.length).toBe(Math.ceil(before.size / 500));
    expect(result.usersWithoutPin).toEqual([HANDLER.login]);
    expect(result.newRecoveryCode!.expose()).not.toBe(recoveryCode);
    expect(readRotation(vault.meta)).toBeUndefined();

    // Every number opens with the current keys (the admin's new PIN slot) and is unchanged.
    const newKey = await keyFromPin(vault);
    const newPublic = publicFromPrivate(newKey.expose());
    expect(vault.meta.get('vault_public_key')).toBe(newPublic.toString('base64'));
    expect(await openAllNumbers(vault, newKey)).toEqual(before);
    const rows = vault.db.prepare("SELECT person_id, sealed FROM person_numbers WHERE state = 'held'").all() as { person_id: number; sealed: Buffer }[];
    for (const r of rows) expect(sealedKeyId(r.sealed)!.equals(vaultKeyId(newPublic))).toBe(true);

    // The new recovery code opens the new key; the old code, the old PINs and the old key open nothing.
    const rec = await tryUnlock(vault, vault.slots.recoverySlot()!, { kind: 'recovery', code: result.newRecoveryCode! });
    expect(rec!.expose().equals(newKey.expose())).toBe(true);
    for (const [slot, input] of [
      [oldAdminSlot, { kind: 'pin', pin: new Secret(ADMIN.pin) }],
      [oldHandlerSlot, { kind: 'pin', pin: new Secret(HANDLER.pin) }],
      [oldRecovery, { kind: 'recovery', code: new Secret(recoveryCode) }],
    ] as const) {
      const stored = slotRowAnyState(vault, slot.id)!;
      expect(stored.revokedAt).not.toBeNull();
      expect(stored.wrapped.length).toBe(0);
      expect(await tryUnlock(vault, stored, input)).toBeUndefined();
    }
    const oldOpener = new Opener(oldKey.expose(), publicFromPrivate(oldKey.expose()));
    for (const r of rows.slice(0, 200)) {
      expect(() => oldOpener.open(r.sealed, numberRecordId(r.person_id), NUMBER_FIELD)).toThrow(AppError);
    }
    expect(vault.slots.pinSlotOf(vault.users.byLogin(HANDLER.login)!.id)).toBeUndefined();

    const actions = auditEvents(vault).map((e) => e.action);
    expect(actions).toContain('vault.key_rotation_started');
    expect(actions.at(-1)).toBe('vault.key_rotated');
    expect(actions.filter((a) => a === 'slot.revoked').length).toBe(3);
    expect(verifyChain(vault.auditRepo, vault.keys.audit).ok).toBe(true);
  });

  it('resumes after an interruption; meanwhile every number, old or new, opens with the old slots', async () => {
    const { vault, dataDir, recoveryCode, before } = await setup(1200);
    const admin = vault.users.byLogin(ADMIN.login)!;
    const first = await rotateVaultKey(vault, { operator: admin, pin: new Secret(ADMIN.pin), batchSize: 300, maxBatches: 2, recoveryCode: new Secret(recoveryCode) });
    expect(first.completed).toBe(false);
    const state = readRotation(vault.meta)!;
    expect(state.cursor).toBeGreaterThan(0);

    // A number taken in during the rotation is sealed to the new key at once.
    const added = importPersons(vault, Buffer.from(syntheticCsv(5, 99).replace(/,E(\d+),/gu, ',X$1,').replace(/,P(\d+),/gu, ',Q$1,')), { purposes: ALL_PURPOSES, actor, skipInvalid: false });
    expect(added.committed).toBe(true);
    vault.close();

    // Reopened (as after a crash): the handler's old PIN slot still opens every number.
    const again = openVault({ dataDir, clock: vault.clock });
    try {
      const viaHandler = await openAllNumbers(again, await keyFromPin(again, HANDLER.login, HANDLER.pin));
      expect(viaHandler.size).toBe(before.size + 5);
      for (const [id, n] of before) expect(viaHandler.get(id)).toBe(n);

      const done = await rotateVaultKey(again, { operator: again.users.byLogin(ADMIN.login)!, pin: new Secret(ADMIN.pin), batchSize: 300, recoveryCode: new Secret(recoveryCode) });
      expect(done.completed).toBe(true);
      expect(done.resumed).toBe(true);
      expect(done.rotationId).toBe(state.id);
      expect(done.newRecoveryCode).toBeUndefined();
      const after = await openAllNumbers(again, await keyFromPin(again));
      expect(after).toEqual(viaHandler);
      // The same recovery code, kept on paper, opens the new key.
      const rec = await tryUnlock(again, again.slots.recoverySlot()!, { kind: 'recovery', code: new Secret(recoveryCode) });
      expect(rec).toBeDefined();
      expect(verifyChain(again.auditRepo, again.keys.audit).ok).toBe(true);
    } finally {
      again.close();
    }
  });

  it('refuses a wrong PIN before changing anything and audits it', async () => {
    const { vault } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const pub = vault.meta.get('vault_public_key');
    await expect(rotateVaultKey(vault, { operator: admin, pin: new Secret('999111') })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(vault.meta.get('vault_public_key')).toBe(pub);
    expect(auditEvents(vault).at(-1)!.action).toBe('slot.unlock_failed');
  });
});
