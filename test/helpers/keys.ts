import { Secret } from '../../src/domain/secret.js';
import { NUMBER_FIELD, numberRecordId } from '../../src/services/numbers.js';
import { readRotation } from '../../src/storage/rotation-state.js';
import { vaultOpener } from '../../src/vault/vault-opener.js';
import type { Vault } from '../../src/services/vault.js';
import { unlockSlot, type SlotInput, type SlotRecord } from '../../src/vault/slots.js';
import { ADMIN } from './vault.js';

/** The vault private key from a user's PIN slot (the test admin by default). */
export async function keyFromPin(vault: Vault, login: string = ADMIN.login, pin: string = ADMIN.pin): Promise<Secret<Buffer>> {
  const user = vault.users.byLogin(login)!;
  const slot = vault.slots.pinSlotOf(user.id);
  if (!slot) throw new Error(`${login} has no PIN slot`);
  return unlockSlot(slot, { kind: 'pin', pin: new Secret(pin) }, vault.keys.pepper);
}

/** Opens every held number with one slot's key; returns person id -> number (tests only). */
export async function openAllNumbers(vault: Vault, key: Secret<Buffer>): Promise<Map<number, string>> {
  const opener = vaultOpener(readRotation(vault.meta), key);
  const out = new Map<number, string>();
  try {
    const rows = vault.db.prepare("SELECT person_id, sealed FROM person_numbers WHERE state = 'held' ORDER BY person_id").all() as { person_id: number; sealed: Buffer }[];
    for (const r of rows) out.set(r.person_id, opener.open(r.sealed, numberRecordId(r.person_id), NUMBER_FIELD).toString('latin1'));
  } finally {
    opener.wipe();
  }
  return out;
}

/** A slot row as stored, revoked or not (to show a revoked slot opens nothing). */
export function slotRowAnyState(vault: Vault, id: string): (SlotRecord & { revokedAt: string | null }) | undefined {
  const r = vault.db.prepare('SELECT id, params, wrapped, revoked_at FROM key_slots WHERE id = ?').get(id) as
    | { id: string; params: string; wrapped: Buffer; revoked_at: string | null }
    | undefined;
  return r && { id: r.id, vaultId: vault.vaultId, params: JSON.parse(r.params) as SlotRecord['params'], wrapped: r.wrapped, revokedAt: r.revoked_at };
}

export async function tryUnlock(vault: Vault, slot: SlotRecord, input: SlotInput): Promise<Secret<Buffer> | undefined> {
  try {
    return await unlockSlot(slot, input, vault.keys.pepper);
  } catch {
    return undefined;
  }
}
