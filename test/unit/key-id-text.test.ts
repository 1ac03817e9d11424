import { describe, expect, it } from 'vitest';
import { looksLikeNumber } from '../../src/domain/digits.js';
import { vaultKeyId, vaultKeyIdText } from '../../src/vault/sealed-box.js';

describe('the vault key id as the audit trail records it', () => {
  it('never looks like a My Number to the trail’s guard, where hex sometimes does', () => {
    // Search public keys until the hex id holds a run of exactly twelve digits (about one in a few hundred).
    let found: Buffer | undefined;
    for (let i = 0; i < 200_000 && !found; i++) {
      const pub = Buffer.alloc(32);
      pub.writeUInt32BE(i);
      if (looksLikeNumber(vaultKeyId(pub).toString('hex'))) found = pub;
    }
    expect(found).toBeDefined();
    expect(looksLikeNumber(vaultKeyIdText(found!))).toBe(false);
    expect(vaultKeyIdText(found!)).toHaveLength(11);
    for (let i = 0; i < 2_000; i++) {
      const pub = Buffer.alloc(32);
      pub.writeUInt32BE(i, 4);
      expect(looksLikeNumber(vaultKeyIdText(pub))).toBe(false);
    }
  });
});
