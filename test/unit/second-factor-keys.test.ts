import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { normaliseRecoveryCode } from '../../src/services/recovery-codes.js';
import { relyingPartyOf } from '../../src/services/webauthn.js';
import { openTotpSecret, recoveryCodeHmac, sealTotpSecret } from '../../src/vault/second-factor-keys.js';

describe('the second factor’s sealing and keyed hashes', () => {
  const pepper = new Secret(randomBytes(32));

  it('opens a sealed TOTP secret only with the same pepper, vault and user; a flipped byte is refused as tampering', () => {
    const secret = randomBytes(20);
    const sealed = sealTotpSecret(pepper, 'vault-1', 'user-1', new Secret(Buffer.from(secret)));
    expect(sealed[0]).toBe(1);
    expect(sealed.includes(secret)).toBe(false);
    expect(openTotpSecret(pepper, 'vault-1', 'user-1', sealed).expose().equals(secret)).toBe(true);
    expect(() => openTotpSecret(new Secret(randomBytes(32)), 'vault-1', 'user-1', sealed)).toThrow(/開けませんでした/u);
    expect(() => openTotpSecret(pepper, 'vault-2', 'user-1', sealed)).toThrow(/開けませんでした/u);
    expect(() => openTotpSecret(pepper, 'vault-1', 'user-2', sealed)).toThrow(/開けませんでした/u);
    const flipped = Buffer.from(sealed);
    flipped[20]! ^= 1;
    expect(() => openTotpSecret(pepper, 'vault-1', 'user-1', flipped)).toThrow(/開けませんでした/u);
  });

  it('hashes recovery codes with a key: another pepper or another user gives another hash', () => {
    const h = recoveryCodeHmac(pepper, 'u', 'ABCD-EFGH-JKMN-PQRS');
    expect(h).toHaveLength(32);
    expect(recoveryCodeHmac(pepper, 'u', 'ABCD-EFGH-JKMN-PQRS').equals(h)).toBe(true);
    expect(recoveryCodeHmac(new Secret(randomBytes(32)), 'u', 'ABCD-EFGH-JKMN-PQRS').equals(h)).toBe(false);
    expect(recoveryCodeHmac(pepper, 'v', 'ABCD-EFGH-JKMN-PQRS').equals(h)).toBe(false);
    expect(normaliseRecoveryCode(' abcd efgh－jkmn pqrs ')).toBe('ABCD-EFGH-JKMN-PQRS');
  });

  it('takes the WebAuthn RP ID and origin from the configured URL only where browsers allow WebAuthn', () => {
    expect(relyingPartyOf('https://mnvault.local:8443/')).toEqual({ rpID: 'mnvault.local', origin: 'https://mnvault.local:8443' });
    expect(relyingPartyOf('http://localhost:3000')).toEqual({ rpID: 'localhost', origin: 'http://localhost:3000' });
    expect(relyingPartyOf(undefined)).toBeNull();
    expect(relyingPartyOf('http://mnvault.local')).toBeNull();
    expect(relyingPartyOf('https://192.168.1.10:8443')).toBeNull();
    expect(relyingPartyOf('https://[::1]:8443')).toBeNull();
    expect(relyingPartyOf('not a url')).toBeNull();
  });
});
