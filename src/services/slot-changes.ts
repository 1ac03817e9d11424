import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import type { UserView } from '../domain/users.js';
import { checkPinRules, createSlot, samePin, generateRecoveryCode, newPinParams, PRODUCTION_PIN_COST, type PinCost } from '../vault/slots.js';
import { actorOf, FormError, unlockOwnPin } from './accounts.js';
import type { Vault } from './vault.js';

/** The part of the vault `changeOwnPin` and `regenerateRecoveryCode` use. */
export type SlotChangeStore = Pick<Vault, 'db' | 'vaultId' | 'keys' | 'users' | 'slots' | 'audit' | 'clock'>;

export interface PinChange {
  currentPin: Secret<string>;
  newPin: Secret<string>;
  confirmPin: Secret<string>;
}

/**
 * A user changes their own PIN (PINの変更): the current PIN opens their slot,
 * the vault key is wrapped under the new PIN in a new slot, and the old slot is
 * revoked with its wrapped key erased, in one transaction with 'slot.pin_changed'.
 * A wrong current PIN is audited as 'slot.unlock_failed' and counts towards the
 * PIN lock like a wrong PIN at the gate.
 */
export async function changeOwnPin(vault: SlotChangeStore, user: UserView, input: PinChange, client: string | null, pinCost: PinCost = PRODUCTION_PIN_COST): Promise<void> {
  const errors: Record<string, string> = {};
  const rule = checkPinRules(input.newPin);
  if (rule) errors.newPin = rule;
  else if (!samePin(input.newPin, input.confirmPin)) errors.confirmPin = '確認のため入力したPINが一致しません。';
  else if (samePin(input.newPin, input.currentPin)) errors.newPin = '新しいPINは今のPINと違うものにしてください。';
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const slotId = vault.slots.pinSlotOf(user.id)?.id;
  const key = await unlockOwnPin(vault, user, input.currentPin, client, 'pin_change', 'currentPin');
  try {
    const next = await createSlot(vault.vaultId, randomUUID(), newPinParams(pinCost), { kind: 'pin', pin: input.newPin }, vault.keys.pepper, key);
    const now = vault.clock.now();
    writeTransaction(vault.db, () => {
      if (vault.slots.pinSlotOf(user.id)?.id !== slotId) throw new AppError('conflict', 'PINは別の操作で変更されました。もう一度やり直してください。');
      vault.slots.revokePinOf(user.id, now);
      vault.slots.insert(next, user.id, now);
      vault.users.pinSucceeded(user.id);
      vault.audit.append({ actor: actorOf(user), action: 'slot.pin_changed', client, detail: { user_id: user.id, old_slot_id: slotId ?? null, slot_id: next.id } });
    });
    checkpointTruncate(vault.db);
  } finally {
    key.wipe();
  }
}

/**
 * An admin regenerates the recovery code (回復コードの再発行) with their own PIN:
 * a new code wraps the vault key in a new recovery slot and the old recovery
 * slot is revoked with its wrapped key erased, so the old code stops working.
 * The code is returned once for the page that shows it; it is never stored.
 */
export async function regenerateRecoveryCode(vault: SlotChangeStore, admin: UserView, adminPin: Secret<string>, client: string | null): Promise<Secret<string>> {
  if (admin.role !== 'admin') throw new AppError('forbidden', '回復コードの再発行は管理者（事務取扱責任者）だけが行えます。');
  const key = await unlockOwnPin(vault, admin, adminPin, client, 'recovery_regeneration', 'adminPin');
  const code = generateRecoveryCode();
  try {
    const next = await createSlot(vault.vaultId, randomUUID(), { kind: 'recovery' }, { kind: 'recovery', code }, vault.keys.pepper, key);
    const now = vault.clock.now();
    writeTransaction(vault.db, () => {
      const previous = vault.slots.recoverySlot();
      vault.slots.revokeRecovery(now);
      vault.slots.insert(next, null, now);
      vault.audit.append({ actor: actorOf(admin), action: 'slot.recovery_regenerated', client, detail: { old_slot_id: previous?.id ?? null, slot_id: next.id } });
    });
    checkpointTruncate(vault.db);
    return code;
  } catch (err) {
    code.wipe();
    throw err;
  } finally {
    key.wipe();
  }
}
