import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { MyNumber } from '../domain/my-number.js';
import { NUMBER_STATE_LABEL, type PersonId } from '../domain/persons.js';
import { findPurpose } from '../domain/purposes.js';
import { requirePurposeUse } from './purpose-use.js';
import { zeroize } from '../domain/secret.js';
import { writeTransaction } from '../storage/database.js';
import { readRotation } from '../storage/rotation-state.js';
import { vaultOpener } from '../vault/vault-opener.js';
import { unlockSlot, type SlotInput, type SlotRecord } from '../vault/slots.js';
import { numberRecordId, NUMBER_FIELD } from './numbers.js';
import type { Vault } from './vault.js';

export interface RevealRequest {
  actor: Actor;
  personId: PersonId;
  purpose: string;
  client?: string | null;
  device?: string | null;
  /** The slot the person at the appliance opened, and what they entered or touched. */
  slot: SlotRecord;
  input: SlotInput;
}

/**
 * Returns one person's number for a legal purpose. The vault private key is
 * unwrapped from the slot, the number is opened, and only after the
 * 'number.revealed' event has committed (synchronous=FULL) is it returned.
 * If the event cannot be written, the plaintext is wiped and 'audit_unavailable'
 * is thrown: nothing leaves. A wrong PIN is audited as 'slot.unlock_failed'.
 */
export async function revealNumber(vault: Vault, req: RevealRequest): Promise<MyNumber> {
  findPurpose(req.purpose) ?? raiseInvalidPurpose();
  const person = vault.persons.byId(req.personId) ?? notFound();
  const number = vault.persons.numberOf(person.id);
  if (number?.state !== 'held' || number.sealed === null) {
    throw new AppError('not_found', `この人物の個人番号は${number ? NUMBER_STATE_LABEL[number.state] : '未登録'}のため表示できません。`);
  }
  // The domain decides: the person's kinds, the purposes notified to them, their state.
  const { purpose, coApprovalId } = requirePurposeUse(vault, person, req.purpose);

  let privateKey;
  try {
    privateKey = await unlockSlot(req.slot, req.input, vault.keys.pepper);
  } catch (err) {
    writeTransaction(vault.db, () =>
      vault.audit.append({
        actor: req.actor,
        action: 'slot.unlock_failed',
        subjects: [{ id: person.id, name: person.name }],
        purpose: purpose.code,
        client: req.client ?? null,
        device: req.device ?? null,
        detail: { slot_id: req.slot.id, kind: req.slot.params.kind },
      }),
    );
    throw err;
  }

  const opener = vaultOpener(readRotation(vault.meta), privateKey);
  let plain: Buffer | undefined;
  try {
    plain = opener.open(number.sealed, numberRecordId(person.id), NUMBER_FIELD);
    const revealed = MyNumber.parse(plain.toString('latin1'));
    writeTransaction(vault.db, () => {
      if (coApprovalId !== null) vault.purposeNotices.useCoApproval(coApprovalId, vault.clock.now().toISOString());
      vault.audit.append({
        actor: req.actor,
        action: 'number.revealed',
        subjects: [{ id: person.id, name: person.name }],
        purpose: purpose.code,
        client: req.client ?? null,
        device: req.device ?? null,
        detail: { slot_id: req.slot.id, kind: req.slot.params.kind },
      });
    });
    return revealed;
  } finally {
    zeroize(plain);
    opener.wipe();
    privateKey.wipe();
  }
}

function raiseInvalidPurpose(): never {
  throw new AppError('invalid', '利用目的が選ばれていないか、一覧にない目的です。個人番号関係事務の一覧から選んでください。');
}

function notFound(): never {
  throw new AppError('not_found', '指定された人物は登録されていません。');
}
