import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { zeroize, type Secret } from '../domain/secret.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import { readRotation, ROTATION_META_KEY } from '../storage/rotation-state.js';
import type { UserRow } from '../storage/users-repo.js';
import { newRotation, openSuccessor, vaultPublicKeyOf, type RotationState } from '../vault/rotation-keys.js';
import { Sealer, sealedKeyId, vaultKeyId, vaultKeyIdText } from '../vault/sealed-box.js';
import { createSlot, generateRecoveryCode, newPinParams, PRODUCTION_PIN_COST, unlockSlot, type PinCost } from '../vault/slots.js';
import { vaultOpener } from '../vault/vault-opener.js';
import { actorOf } from './accounts.js';
import { NUMBER_FIELD, numberRecordId } from './numbers.js';
import type { Vault } from './vault.js';

export const ROTATION_BATCH = 1000;

export interface RotationProgress {
  rotationId: string;
  /** Held numbers re-sealed so far (this run and earlier ones). */
  resealed: number;
  total: number;
  /** Every record with person_id <= cursor is committed under the new key. */
  cursor: number;
}

export interface RotateOptions {
  operator: UserRow;
  pin: Secret<string>;
  /** Re-wrap the recovery slot with this same code (checked first); without it a new code is made. */
  recoveryCode?: Secret<string> | undefined;
  client?: string | null;
  /** The new PIN slot's scrypt cost; by default the same as the operator's slot it replaces. */
  pinCost?: PinCost;
  batchSize?: number;
  /** After every committed batch (the CLI prints it; the crash tests read it). */
  onBatch?: (p: RotationProgress) => void;
  /** Stop (resumably) after this many batches: an interruption without a crash, for tests. */
  maxBatches?: number;
}

export interface RotateResult {
  rotationId: string;
  resumed: boolean;
  completed: boolean;
  resealed: number;
  total: number;
  /** Slots revoked because they wrapped the old key (PINs of other users, security keys, the old recovery slot). */
  revokedSlots: number;
  revokedSecurityKeys: number;
  /** Logins that need a new PIN from an admin. */
  usersWithoutPin: string[];
  /** Set when a new recovery code was made: shown once, never stored. */
  newRecoveryCode?: Secret<string>;
}

/**
 * Vault key rotation: a new X25519 key pair, every held number re-sealed to it,
 * and the slots replaced. Interruptible and resumable by running it again:
 *
 * - start (one transaction): the new public key becomes vault_public_key (new
 *   numbers are sealed to it at once), and vault_meta.key_rotation records the
 *   rotation with the new private key sealed to the old public key (the
 *   successor), so every existing slot reaches both keys while it runs;
 * - batches of ROTATION_BATCH numbers, each one transaction that re-seals and
 *   moves the cursor; every box names its key pair (sealed-box v2), so a
 *   half-done rotation opens each record with the right key (vaultOpener);
 * - completion (one transaction, after checking no box names the old key):
 *   every old slot is revoked and its wrapped key erased, registered security
 *   keys are revoked, a new PIN slot for the operator and a recovery slot are
 *   added, and the rotation state (with the successor) is deleted: the old
 *   key pair opens nothing any more.
 *
 * Other users' PINs and security keys cannot be re-wrapped without their
 * secrets; they are listed for an admin to set a new PIN and re-enrol keys.
 */
export async function rotateVaultKey(vault: Pick<Vault, 'db' | 'vaultId' | 'publicKey' | 'keys' | 'meta' | 'users' | 'slots' | 'securityKeys' | 'persons' | 'audit' | 'clock'>, opts: RotateOptions): Promise<RotateResult> {
  const operator = opts.operator;
  if (operator.role !== 'admin' || operator.disabledAt) throw new AppError('forbidden', '金庫の鍵の交換は有効な管理者（事務取扱責任者）だけが行えます。');
  const slot = vault.slots.pinSlotOf(operator.id);
  if (!slot) throw new AppError('forbidden', `${operator.login} にはPINがありません。PINのある管理者で実行してください。`);
  const actor = actorOf(operator);
  const client = opts.client ?? null;
  let oldKey: Secret<Buffer>;
  try {
    oldKey = await unlockSlot(slot, { kind: 'pin', pin: opts.pin }, vault.keys.pepper);
  } catch (err) {
    writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'slot.unlock_failed', client, detail: { slot_id: slot.id, kind: 'pin', during: 'key_rotation' } }));
    throw err;
  }
  let newKey: Secret<Buffer> | undefined;
  try {
    if (opts.recoveryCode) {
      const rs = vault.slots.recoverySlot();
      if (!rs) throw new AppError('not_found', '回復スロットがありません。--recovery-code-file を付けずに実行すると新しい回復コードを作成します。');
      (await unlockSlot(rs, { kind: 'recovery', code: opts.recoveryCode }, vault.keys.pepper)).wipe();
    }
    const oldPublic = vaultPublicKeyOf(oldKey);
    let state = readRotation(vault.meta);
    const resumed = state !== undefined;
    const total = vault.persons.heldNumberCount();
    if (!state) {
      const current = Buffer.from(vault.meta.get('vault_public_key') ?? '', 'base64');
      if (!current.equals(oldPublic)) throw new AppError('tampered', 'PINの鍵スロットが金庫の公開鍵と一致しません。金庫を調べてください。');
      state = newRotation(oldPublic, randomUUID(), vault.clock.now().toISOString());
      const s = state;
      writeTransaction(vault.db, () => {
        vault.meta.set(ROTATION_META_KEY, JSON.stringify(s));
        vault.meta.set('vault_public_key', s.newPublicKey);
        vault.audit.append({
          actor,
          action: 'vault.key_rotation_started',
          client,
          detail: { rotation_id: s.id, old_key_id: vaultKeyIdText(oldPublic), new_key_id: vaultKeyIdText(Buffer.from(s.newPublicKey, 'base64')), records: total },
        });
      });
    } else if (!Buffer.from(state.oldPublicKey, 'base64').equals(oldPublic)) {
      throw new AppError('tampered', '途中の鍵の交換と、PINの鍵スロットの鍵が一致しません。金庫を調べてください。');
    }
    const newPublic = Buffer.from(state.newPublicKey, 'base64');
    vault.publicKey = newPublic;
    newKey = openSuccessor(oldKey, state);

    const finished = resealAll(vault, state, oldKey, total, opts);
    if (!finished) {
      return { rotationId: state.id, resumed, completed: false, resealed: state.resealed, total, revokedSlots: 0, revokedSecurityKeys: 0, usersWithoutPin: [] };
    }
    return { ...(await complete(vault, state, newKey, opts, total)), resumed };
  } finally {
    oldKey.wipe();
    newKey?.wipe();
  }
}

/** Re-seals from the cursor on; returns false when stopped early by maxBatches. */
function resealAll(vault: Pick<Vault, 'db' | 'meta' | 'persons'>, state: RotationState, oldKey: Secret<Buffer>, total: number, opts: RotateOptions): boolean {
  const newPublic = Buffer.from(state.newPublicKey, 'base64');
  const newId = vaultKeyId(newPublic);
  const opener = vaultOpener(readRotation(vault.meta), oldKey);
  const sealer = new Sealer(newPublic);
  const batch = opts.batchSize ?? ROTATION_BATCH;
  let batches = 0;
  try {
    for (let pass = 0; pass < 2; pass++) {
      for (;;) {
        if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return false;
        const more = writeTransaction(vault.db, () => {
          const rows = vault.persons.heldSealedAfter(state.cursor, batch);
          if (rows.length === 0) return false;
          for (const r of rows) {
            if (sealedKeyId(r.sealed)?.equals(newId)) continue;
            const plain = opener.open(r.sealed, numberRecordId(r.person_id), NUMBER_FIELD);
            try {
              vault.persons.replaceSealed(r.person_id, sealer.seal(plain, numberRecordId(r.person_id), NUMBER_FIELD));
            } finally {
              zeroize(plain);
            }
            state.resealed++;
          }
          state.cursor = rows[rows.length - 1]!.person_id;
          vault.meta.set(ROTATION_META_KEY, JSON.stringify(state));
          return true;
        });
        if (!more) break;
        batches++;
        opts.onBatch?.({ rotationId: state.id, resealed: state.resealed, total, cursor: state.cursor });
      }
      if (remainingUnderOtherKeys(vault, newId) === 0) return true;
      // Something sealed to the old key after the cursor passed it: one more pass from the start.
      state.cursor = 0;
    }
    throw new AppError('internal', '古い鍵で封をされた番号が残っているため、鍵の交換を完了できませんでした。もう一度実行してください。');
  } finally {
    sealer.wipe();
    opener.wipe();
  }
}

function remainingUnderOtherKeys(vault: Pick<Vault, 'persons'>, keyId: Buffer): number {
  let n = 0;
  for (const sealed of vault.persons.iterateHeldSealed()) {
    if (!sealedKeyId(sealed)?.equals(keyId)) n++;
  }
  return n;
}

async function complete(vault: Pick<Vault, 'db' | 'vaultId' | 'keys' | 'meta' | 'users' | 'slots' | 'securityKeys' | 'audit' | 'clock'>, state: RotationState, newKey: Secret<Buffer>, opts: RotateOptions, total: number): Promise<Omit<RotateResult, 'resumed'>> {
  const operator = opts.operator;
  const actor = actorOf(operator);
  const client = opts.client ?? null;
  const newRecoveryCode = opts.recoveryCode ? undefined : generateRecoveryCode();
  const code = opts.recoveryCode ?? newRecoveryCode!;
  const own = vault.slots.pinSlotOf(operator.id)?.params;
  const cost = opts.pinCost ?? (own?.kind === 'pin' ? { N: own.scrypt.N, r: own.scrypt.r, p: own.scrypt.p } : PRODUCTION_PIN_COST);
  const pinSlot = await createSlot(vault.vaultId, randomUUID(), newPinParams(cost), { kind: 'pin', pin: opts.pin }, vault.keys.pepper, newKey);
  const recoverySlot = await createSlot(vault.vaultId, randomUUID(), { kind: 'recovery' }, { kind: 'recovery', code }, vault.keys.pepper, newKey);
  const now = vault.clock.now();
  const oldPublic = Buffer.from(state.oldPublicKey, 'base64');
  const newPublic = Buffer.from(state.newPublicKey, 'base64');
  const usersWithoutPin: string[] = [];
  const counts = writeTransaction(vault.db, () => {
    if (readRotation(vault.meta)?.id !== state.id) throw new AppError('conflict', '鍵の交換の状態が変わりました。もう一度実行してください。');
    const keys = vault.securityKeys.active();
    for (const k of keys) {
      vault.securityKeys.revoke(k.id, now.toISOString());
      vault.audit.append({ actor, action: 'security_key.revoked', client, detail: { user_id: k.userId, key_id: k.id, label: k.label, reason: 'vault_key_rotated' } });
    }
    const slots = vault.slots.active();
    for (const s of slots) {
      vault.slots.revoke(s.id, now);
      vault.audit.append({ actor, action: 'slot.revoked', client, detail: { slot_id: s.id, kind: s.params.kind, user_id: s.userId, reason: 'vault_key_rotated' } });
      if (s.params.kind === 'pin' && s.userId && s.userId !== operator.id) {
        const u = vault.users.byId(s.userId);
        if (u && !u.disabledAt) usersWithoutPin.push(u.login);
      }
    }
    vault.slots.insert(pinSlot, operator.id, now);
    vault.audit.append({ actor, action: 'slot.added', client, detail: { slot_id: pinSlot.id, kind: 'pin', user_id: operator.id } });
    vault.slots.insert(recoverySlot, null, now);
    vault.audit.append({ actor, action: 'slot.added', client, detail: { slot_id: recoverySlot.id, kind: 'recovery' } });
    vault.meta.delete(ROTATION_META_KEY);
    vault.audit.append({
      actor,
      action: 'vault.key_rotated',
      client,
      detail: {
        rotation_id: state.id,
        old_key_id: vaultKeyIdText(oldPublic),
        new_key_id: vaultKeyIdText(newPublic),
        resealed: state.resealed,
        records: total,
        revoked_slots: slots.length,
        revoked_security_keys: keys.length,
        recovery_code: opts.recoveryCode ? 'kept' : 'new',
      },
    });
    return { slots: slots.length, keys: keys.length };
  });
  // The erased slots and the successor may still sit in the WAL.
  checkpointTruncate(vault.db);
  const result: Omit<RotateResult, 'resumed'> = {
    rotationId: state.id,
    completed: true,
    resealed: state.resealed,
    total,
    revokedSlots: counts.slots,
    revokedSecurityKeys: counts.keys,
    usersWithoutPin,
  };
  if (newRecoveryCode) result.newRecoveryCode = newRecoveryCode;
  return result;
}

/** The rotation in progress, if any, for status displays and the CLI. */
export function rotationInProgress(vault: Pick<Vault, 'meta'>): { id: string; startedAt: string; resealed: number } | undefined {
  const s = readRotation(vault.meta);
  return s && { id: s.id, startedAt: s.startedAt, resealed: s.resealed };
}
