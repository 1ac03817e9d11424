import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import { actorOf, FormError } from '../../src/services/accounts.js';
import { cardReview, readCardAtAppliance, sealCardIntake } from '../../src/services/card-intake.js';
import { numberRecordId, NUMBER_FIELD } from '../../src/services/numbers.js';
import { registerPerson } from '../../src/services/persons.js';
import type { Vault } from '../../src/services/vault.js';
import { Opener } from '../../src/vault/sealed-box.js';
import { unlockSlot } from '../../src/vault/slots.js';
import { auditEvents } from '../helpers/audit.js';
import { scanDataDir } from '../helpers/canary.js';
import { TEST_CARD, usePcscd } from '../helpers/virtual-card.js';
import { ADMIN, newTestVault } from '../helpers/vault.js';

// Card intake through pcscd + the virtual reader + the codec, on a real encrypted vault.
const pcsc = usePcscd();
const padPin = (digits: string) => async () => new Secret(new TextEncoder().encode(digits));

async function openNumber(vault: Vault, personId: number): Promise<string> {
  const admin = vault.users.byLogin(ADMIN.login)!;
  const key = await unlockSlot(vault.slots.pinSlotOf(admin.id)!, { kind: 'pin', pin: new Secret(ADMIN.pin) }, vault.keys.pepper);
  const opener = new Opener(key.expose(), vault.publicKey);
  try {
    return opener.open(vault.persons.numberOf(personId)!.sealed!, numberRecordId(personId), NUMBER_FIELD).toString('latin1');
  } finally {
    opener.wipe();
    key.wipe();
  }
}

async function setup(name = '山田太郎') {
  const { vault, dataDir } = await newTestVault();
  const actor = actorOf(vault.users.byLogin(ADMIN.login)!);
  const id = registerPerson(vault, actor, { kind: 'employee', code: 'E1', name, kana: 'ヤマダ タロウ', birthDate: '1990-01-02' }, null, null);
  return { vault, dataDir, actor, id };
}

describe('「カードで取得」: the number from the chip, sealed with the identity check', () => {
  it('shows the tries, reads with the PIN pad digits, shows only the differences, then seals and records 「個人番号カード（ICチップ読取）」 with the signature and the device', async () => {
    const { vault, dataDir, actor, id } = await setup();
    const inserted = await pcsc.insert();
    try {
      const shown: number[] = [];
      const read = await readCardAtAppliance(pcsc.readers, { waitMs: 5000, onTriesLeft: (n) => shown.push(n), pin: padPin('1234') });
      expect(shown).toEqual([3]);
      const review = cardReview(vault, id, read);
      expect(review).toEqual({ match: { name: { same: false, difference: 'spacing' }, birthDate: 'same', acceptable: true }, signature: 'valid' });
      expect(JSON.stringify(review)).not.toContain(TEST_CARD.number);
      // A difference must be confirmed.
      expect(() => sealCardIntake(vault, actor, id, read, { purposes: ['withholding_slip'], confirmedDifferences: false }, '127.0.0.1')).toThrow(FormError);
      sealCardIntake(vault, actor, id, read, { purposes: ['withholding_slip'], confirmedDifferences: true }, '127.0.0.1');
      expect(await openNumber(vault, id)).toBe(TEST_CARD.number);
      const events = auditEvents(vault).filter((e) => e.action === 'number.recorded' || e.action === 'identity.checked');
      expect(events.map((e) => [e.action, e.device])).toEqual([
        ['number.recorded', 'Virtual PCD 00 00'],
        ['identity.checked', 'Virtual PCD 00 00'],
      ]);
      expect(events[1]!.detail).toMatchObject({
        number_document: 'my_number_card_ic',
        signature: 'valid',
        signature_reason: 'hashes match and signature verifies',
        signature_chain: 'not_checked',
        name_match: 'spacing',
      });
      const row = vault.db.prepare('SELECT number_document, note FROM identity_checks WHERE person_id = ?').get(id) as { number_document: string; note: string };
      expect(row).toEqual({ number_document: 'my_number_card_ic', note: '署名検証: 一致' });
      // The purposes the handler notified when starting are recorded as a notice (利用目的の通知), as for a typed number.
      expect(vault.purposeNotices.forPerson(id)).toMatchObject([{ role: 'employee', purposes: ['withholding_slip'], via: 'handler', actorId: actor.id }]);
      vault.close();
      expect(scanDataDir(dataDir, [TEST_CARD.number]).hits).toEqual([]);
    } finally {
      await inserted.remove();
    }
  });

  it('refuses to spend the last try unless the holder confirms, and names a wrong PIN with the tries left', async () => {
    const { vault, id } = await setup();
    const inserted = await pcsc.insert({ triesLeft: 2 });
    try {
      const err = await readCardAtAppliance(pcsc.readers, { waitMs: 5000, pin: padPin('0000') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).publicMessage).toBe('カードの暗証番号が違います。あと1回でロックされます。');
      let asked = false;
      const last = await readCardAtAppliance(pcsc.readers, {
        waitMs: 5000,
        pin: async () => ((asked = true), new Secret(new TextEncoder().encode('1234'))),
      }).catch((e: unknown) => e);
      expect(asked).toBe(false);
      expect((last as AppError).publicMessage).toContain('あと1回間違えるとロックされます');
      expect(await inserted.triesLeft()).toBe(1);
      const ok = await readCardAtAppliance(pcsc.readers, { waitMs: 5000, confirmLastTry: true, pin: padPin('1234') });
      expect(cardReview(vault, id, ok).signature).toBe('valid');
    } finally {
      await inserted.remove();
    }
  });

  it('stores nothing for a card whose data fails the signature check, or whose holder is someone else', async () => {
    const { vault, actor, id } = await setup('山田 太郎');
    const forged = await pcsc.insert({ signature: 'invalid' });
    try {
      const read = await readCardAtAppliance(pcsc.readers, { waitMs: 5000, pin: padPin('1234') });
      expect(() => sealCardIntake(vault, actor, id, read, { purposes: ['withholding_slip'], confirmedDifferences: true }, null)).toThrow(/署名と一致しません/u);
    } finally {
      await forged.remove();
    }
    const other = await pcsc.insert({ basicFour: { ...TEST_CARD.basicFour, name: '佐藤 花子', birthDate: '1985-05-05' } });
    try {
      const read = await readCardAtAppliance(pcsc.readers, { waitMs: 5000, pin: padPin('1234') });
      expect(() => sealCardIntake(vault, actor, id, read, { purposes: ['withholding_slip'], confirmedDifferences: true }, null)).toThrow(FormError);
    } finally {
      await other.remove();
    }
    expect(vault.persons.numberOf(id)).toBeUndefined();
    expect(auditEvents(vault).some((e) => e.action === 'number.recorded')).toBe(false);
  });
});
