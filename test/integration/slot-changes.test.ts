import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { Secret } from '../../src/domain/secret.js';
import { createUser, FormError, setUserPin, type FieldErrors } from '../../src/services/accounts.js';
import { revokeSecurityKey } from '../../src/services/security-keys.js';
import { changeOwnPin, regenerateRecoveryCode } from '../../src/services/slot-changes.js';
import { createSlot, newFido2Params, TEST_PIN_COST } from '../../src/vault/slots.js';
import { auditEvents } from '../helpers/audit.js';
import { keyFromPin, slotRowAnyState, tryUnlock } from '../helpers/keys.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';

const pin = (s: string) => new Secret(s);

describe('PIN change by the user', () => {
  it('wraps the vault key under the new PIN, revokes the old slot and audits slot.pin_changed', async () => {
    const { vault } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const before = await keyFromPin(vault);
    const old = vault.slots.pinSlotOf(admin.id)!;
    await changeOwnPin(vault, admin, { currentPin: pin(ADMIN.pin), newPin: pin('314159'), confirmPin: pin('314159') }, '10.0.0.5', TEST_PIN_COST);
    const after = await keyFromPin(vault, ADMIN.login, '314159');
    expect(after.expose().equals(before.expose())).toBe(true);
    const stored = slotRowAnyState(vault, old.id)!;
    expect(stored.revokedAt).not.toBeNull();
    expect(stored.wrapped.length).toBe(0);
    expect(await tryUnlock(vault, stored, { kind: 'pin', pin: pin(ADMIN.pin) })).toBeUndefined();
    const e = auditEvents(vault).at(-1)!;
    expect(e.action).toBe('slot.pin_changed');
    expect(e.detail).toMatchObject({ user_id: admin.id, old_slot_id: old.id });
    expect(JSON.stringify(e)).not.toContain('314159');
    expect(verifyChain(vault.auditRepo, vault.keys.audit).ok).toBe(true);
  });

  it('names each problem: rules, a mismatched confirmation, a wrong current PIN (audited and counted)', async () => {
    const { vault } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const attempt = (currentPin: string, newPin: string, confirmPin: string) =>
      changeOwnPin(vault, admin, { currentPin: pin(currentPin), newPin: pin(newPin), confirmPin: pin(confirmPin) }, null, TEST_PIN_COST).then(
        (): FieldErrors => ({}),
        (err: unknown) => (err as FormError).fields,
      );
    expect((await attempt(ADMIN.pin, '123456', '123456')).newPin).toMatch(/連続/u);
    expect((await attempt(ADMIN.pin, '1111', '1111')).newPin).toMatch(/6〜12桁/u);
    expect((await attempt(ADMIN.pin, '314159', '314158')).confirmPin).toMatch(/一致しません/u);
    expect((await attempt('999999', '314159', '314159')).currentPin).toMatch(/正しくありません/u);
    expect(auditEvents(vault).at(-1)!.action).toBe('slot.unlock_failed');
    // Nothing changed: the old PIN still opens the vault key.
    expect(await keyFromPin(vault)).toBeDefined();
  });
});

describe('admin reset of a PIN', () => {
  it('revokes the old PIN slot in the same transaction and audits it', async () => {
    const { vault } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const u = await createUser(vault, { id: admin.id, name: 'x' }, { login: 'tanaka', displayName: '田中', role: 'handler', password: new Secret('handler password 1') }, null);
    await setUserPin(vault, admin, u.id, pin(ADMIN.pin), pin('271828'), null, TEST_PIN_COST);
    const first = vault.slots.pinSlotOf(u.id)!;
    await setUserPin(vault, admin, u.id, pin(ADMIN.pin), pin('161803'), null, TEST_PIN_COST);
    const stored = slotRowAnyState(vault, first.id)!;
    expect(stored.revokedAt).not.toBeNull();
    expect(await tryUnlock(vault, stored, { kind: 'pin', pin: pin('271828') })).toBeUndefined();
    expect(await keyFromPin(vault, 'tanaka', '161803')).toBeDefined();
    const tail = auditEvents(vault).slice(-2);
    expect(tail.map((e) => e.action)).toEqual(['slot.revoked', 'slot.added']);
    expect(tail[0]!.detail).toMatchObject({ slot_id: first.id, reason: 'pin_reset' });
  });
});

describe('recovery code regeneration', () => {
  it('makes a new code that opens the vault key; the old code stops working', async () => {
    const { vault, recoveryCode } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const old = vault.slots.recoverySlot()!;
    const code = await regenerateRecoveryCode(vault, admin, pin(ADMIN.pin), null);
    expect(code.expose()).not.toBe(recoveryCode);
    const key = await tryUnlock(vault, vault.slots.recoverySlot()!, { kind: 'recovery', code });
    expect(key!.expose().equals((await keyFromPin(vault)).expose())).toBe(true);
    expect(await tryUnlock(vault, slotRowAnyState(vault, old.id)!, { kind: 'recovery', code: pin(recoveryCode) })).toBeUndefined();
    const e = auditEvents(vault).at(-1)!;
    expect(e.action).toBe('slot.recovery_regenerated');
    expect(JSON.stringify(auditEvents(vault))).not.toContain(code.expose());
  });

  it('refuses a wrong admin PIN and keeps the old code', async () => {
    const { vault, recoveryCode } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    await expect(regenerateRecoveryCode(vault, admin, pin('000123'), null)).rejects.toBeInstanceOf(FormError);
    expect(await tryUnlock(vault, vault.slots.recoverySlot()!, { kind: 'recovery', code: pin(recoveryCode) })).toBeDefined();
  });
});

describe('revoking a security key', () => {
  it('revokes its fido2 slot and erases the wrapped key, so its hmac-secret opens nothing', async () => {
    const { vault } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    const key = await keyFromPin(vault);
    const output = randomBytes(32);
    const slot = await createSlot(vault.vaultId, randomUUID(), newFido2Params('Y3JlZA', 'mnvault.local'), { kind: 'fido2', hmacSecretOutput: new Secret(new Uint8Array(output)) }, vault.keys.pepper, key);
    const now = vault.clock.now();
    vault.slots.insert(slot, admin.id, now);
    const keyId = vault.securityKeys.insert({ userId: admin.id, slotId: slot.id, credentialId: randomBytes(16), publicKey: randomBytes(65), aaguid: Buffer.alloc(16), signCount: 0, label: '鍵1', enrolledAt: now.toISOString(), enrolledBy: admin.id });
    expect(await tryUnlock(vault, vault.slots.byId(slot.id)!, { kind: 'fido2', hmacSecretOutput: new Secret(new Uint8Array(output)) })).toBeDefined();
    revokeSecurityKey(vault, admin, keyId, null);
    expect(vault.slots.byId(slot.id)).toBeUndefined();
    const stored = slotRowAnyState(vault, slot.id)!;
    expect(stored.revokedAt).not.toBeNull();
    expect(await tryUnlock(vault, stored, { kind: 'fido2', hmacSecretOutput: new Secret(new Uint8Array(output)) })).toBeUndefined();
    expect(auditEvents(vault).at(-1)!.action).toBe('security_key.revoked');
  });
});

describe('a PIN typed into a page counts like one at the gate', () => {
  it('locks the admin after five wrong PINs on the recovery-code page, and a locked admin gets no code even with the right PIN', async () => {
    const { regenerateRecoveryCode } = await import('../../src/services/slot-changes.js');
    const { Secret } = await import('../../src/domain/secret.js');
    const { newTestVault, ADMIN } = await import('../helpers/vault.js');
    const { vault } = await newTestVault();
    const admin = vault.users.byLogin(ADMIN.login)!;
    for (let i = 0; i < 4; i++) {
      await expect(regenerateRecoveryCode(vault, vault.users.byId(admin.id)!, new Secret('000001'), null)).rejects.toMatchObject({ fields: { adminPin: 'あなたのPINが正しくありません。' } });
    }
    await expect(regenerateRecoveryCode(vault, vault.users.byId(admin.id)!, new Secret('000001'), null)).rejects.toMatchObject({ fields: { adminPin: expect.stringContaining('ロックされました') } });
    expect(vault.users.pinLockedAt(admin.id)).not.toBeNull();
    await expect(regenerateRecoveryCode(vault, vault.users.byId(admin.id)!, new Secret(ADMIN.pin), null)).rejects.toMatchObject({ fields: { adminPin: expect.stringContaining('ロック') } });
    vault.users.unlockPin(admin.id);
    const code = await regenerateRecoveryCode(vault, vault.users.byId(admin.id)!, new Secret(ADMIN.pin), null);
    expect(code.expose()).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/u);
  });
});
