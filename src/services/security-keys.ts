import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import type { UserView } from '../domain/users.js';
import { checkAssertion, requestCommitment } from '../devices/ctap2.js';
import { AppError } from '../domain/errors.js';
import type { KeyAssertion, SecurityKeyPort } from '../domain/ports.js';
import type { Secret } from '../domain/secret.js';
import { DEFAULT_WINDOWS, PIN_LOCK_AFTER, stateAt, type GateRequest, type GateWindows } from '../gate/requests.js';
import { writeTransaction } from '../storage/database.js';
import type { SecurityKeyRow } from '../storage/security-keys-repo.js';
import type { UserRow } from '../storage/users-repo.js';
import { createSlot, newFido2Params, unlockSlot } from '../vault/slots.js';
import { actorOf } from './accounts.js';
import { completeApproval, type RevealStore } from './gate.js';
import type { Vault } from './vault.js';

/** What approving a request with a touch of a security key reads and writes (the key station passes it on). */
export type KeyApprovalStore = Pick<Vault, 'db' | 'keys' | 'meta' | 'users' | 'slots' | 'securityKeys' | 'persons' | 'roles' | 'gate' | 'audit' | 'clock'>;

/**
 * Security keys at the appliance: an admin enrols a key to a
 * person in the 管理区域, which adds a fido2 key slot wrapping the vault key
 * under the key's hmac-secret output (as systemd-cryptenroll does for disks);
 * afterwards a touch approves the owner's oldest pending request. Every
 * assertion signs a commitment to the request, and the audit event keeps it.
 */

/** The relying party id the appliance's credentials are made for. Fixed: changing it orphans every key. */
export const RP_ID = 'mnvault.appliance';
export const RP_NAME = 'マイナンバー金庫';

export type { KeyAssertion, KeyCredential, KeyEnrolment, SecurityKeyPort } from '../domain/ports.js';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** What an enrolment's makeCredential signs: this vault, this person, this admin. */
export function enrolmentCommitment(vaultId: string, userId: string, adminId: string): Buffer {
  return createHash('sha256').update(JSON.stringify(['mnvault/enrol/v1', vaultId, userId, adminId])).digest();
}

/** The commitment a touch signs for a request: code, action, persons, purpose and operator. */
export function commitmentFor(r: GateRequest): Buffer {
  return requestCommitment({ requestId: r.id, createdAt: r.createdAt, code: r.code, action: r.kind, personIds: r.personIds, purpose: r.purpose, operatorId: r.handlerId });
}

/**
 * Enrols the plugged-in key to a user. The admin is at the appliance: their
 * PIN (typed on the PIN pad) opens the vault key, the user touches the key
 * twice (make the credential, then read its hmac-secret), and the new slot,
 * the key's record and the events commit together. Nothing is stored if any
 * step fails.
 */
export async function enrolSecurityKey(
  vault: Pick<Vault, 'db' | 'vaultId' | 'keys' | 'users' | 'slots' | 'securityKeys' | 'audit' | 'clock'>,
  input: { admin: UserRow; adminPin: Secret<string>; userId: string; label: string; key: SecurityKeyPort; onTouch?: () => void; signal?: AbortSignal },
): Promise<SecurityKeyRow> {
  const { admin, key } = input;
  const user = vault.users.byId(input.userId);
  if (admin.role !== 'admin' || admin.disabledAt) throw new AppError('forbidden', '登録できるのは管理者（事務取扱責任者）だけです。');
  if (!user || user.disabledAt || user.role === 'auditor') throw new AppError('invalid', 'セキュリティキーを登録できるのは、有効な事務取扱担当者か管理者です。');
  const adminSlot = vault.slots.pinSlotOf(admin.id);
  if (!adminSlot) throw new AppError('forbidden', '管理者のPINが設定されていません。');
  if (vault.users.pinLockedAt(admin.id)) throw new AppError('locked', 'このPINはロックされています。別の管理者に解除を依頼してください。');
  let privateKey: Secret<Buffer>;
  try {
    privateKey = await unlockSlot(adminSlot, { kind: 'pin', pin: input.adminPin }, vault.keys.pepper);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'unauthorized') throw err;
    // Wrong PINs here count toward the same lock as at the gate.
    const locked = writeTransaction(vault.db, () => {
      const f = vault.users.pinFailed(admin.id, PIN_LOCK_AFTER, vault.clock.now().toISOString());
      vault.audit.append({ actor: actorOf(admin), action: 'slot.unlock_failed', device: key.path, detail: { kind: 'pin', during: 'security_key_enrolment', failures: f.failures } });
      if (f.locked) vault.audit.append({ actor: actorOf(admin), action: 'gate.pin_locked', device: key.path, detail: { user_id: admin.id, failures: f.failures } });
      return f.locked;
    });
    throw new AppError(locked ? 'locked' : 'unauthorized', locked ? 'PINの誤りが続いたため、このPINはロックされました。別の管理者に解除を依頼してください。' : 'PINが正しくありません。');
  }
  let hmac: Secret<Uint8Array> | undefined;
  try {
    // A key already enrolled (to anyone) would answer for the first holder only: refuse it.
    const active = vault.securityKeys.active();
    const held = active.length ? await key.probe({ rpId: RP_ID, credentialIds: active.map((k) => k.credentialId), signal: input.signal }) : undefined;
    if (held) {
      const holder = vault.users.byId(active.find((k) => k.credentialId.equals(Buffer.from(held)))!.userId);
      throw new AppError('conflict', `このキーは既に ${holder?.displayName ?? '別の利用者'} さんに登録されています。別のキーを使うか、先にその登録を無効にしてください。`);
    }
    const made = await key.enrol({
      rpId: RP_ID,
      rpName: RP_NAME,
      userId: Buffer.from(user.id, 'utf8'),
      userName: user.login,
      clientDataHash: enrolmentCommitment(vault.vaultId, user.id, admin.id),
      signal: input.signal,
      onTouch: input.onTouch,
    });
    const params = newFido2Params(b64u(made.credentialId), RP_ID);
    if (params.kind !== 'fido2') throw new Error('unreachable');
    // The second touch proves the new credential answers and gives the slot's secret.
    const proof = Buffer.from(JSON.stringify(['mnvault/enrol-check/v1', vault.vaultId, user.id, params.salt]));
    const clientDataHash = createHash('sha256').update(proof).digest();
    const credential = { id: made.credentialId, publicKeySpki: made.publicKeySpki, signCount: made.signCount, salt: Buffer.from(params.salt, 'base64') };
    const a = await key.assert({ rpId: RP_ID, credential, clientDataHash, signal: input.signal, onTouch: input.onTouch });
    hmac = a.hmacSecret;
    const publicKey = createPublicKey({ key: Buffer.from(made.publicKeySpki), format: 'der', type: 'spki' });
    const checked = checkAssertion({ rpId: RP_ID, authData: a.authData, clientDataHash, signature: a.signature, publicKey, storedCounter: made.signCount });
    if (!checked.ok) throw new AppError('device_unavailable', `セキュリティキーの応答を確認できませんでした（${PROBLEM_LABEL[checked.problem]}）。別のキーで登録してください。`);
    const slot = await createSlot(vault.vaultId, randomUUID(), params, { kind: 'fido2', hmacSecretOutput: hmac }, vault.keys.pepper, privateKey);
    const label = input.label.normalize('NFKC').trim().slice(0, 60) || 'セキュリティキー';
    const at = vault.clock.now();
    const id = writeTransaction(vault.db, () => {
      vault.users.pinSucceeded(admin.id);
      vault.slots.insert(slot, user.id, at);
      const id = vault.securityKeys.insert({
        userId: user.id,
        slotId: slot.id,
        credentialId: Buffer.from(made.credentialId),
        publicKey: Buffer.from(made.publicKeySpki),
        aaguid: Buffer.from(made.aaguid),
        signCount: checked.signCount,
        label,
        enrolledAt: at.toISOString(),
        enrolledBy: admin.id,
      });
      vault.audit.append({ actor: actorOf(admin), action: 'slot.added', device: key.path, detail: { kind: 'fido2', user_id: user.id, slot_id: slot.id } });
      vault.audit.append({
        actor: actorOf(admin),
        action: 'security_key.enrolled',
        device: key.path,
        detail: { user_id: user.id, key_id: id, label, credential_id: b64u(made.credentialId), aaguid: Buffer.from(made.aaguid).toString('base64url'), public_key: b64u(made.publicKeySpki) },
      });
      return id;
    });
    return vault.securityKeys.byId(id)!;
  } finally {
    hmac?.wipe();
    privateKey.wipe();
  }
}

const PROBLEM_LABEL: Record<string, string> = { rp_id: '利用先IDの不一致', user_presence: 'タッチの確認なし', counter: 'カウンタの逆行', signature: '署名の不一致' };

/** An admin revokes a key (lost, or its holder left): its slot stops opening the vault. */
export function revokeSecurityKey(vault: Pick<Vault, 'db' | 'securityKeys' | 'audit' | 'clock'>, admin: UserView, keyId: number, client: string | null): void {
  const k = vault.securityKeys.byId(keyId);
  if (!k || k.revokedAt) throw new AppError('not_found', '指定されたセキュリティキーは登録されていません。');
  writeTransaction(vault.db, () => {
    vault.securityKeys.revoke(k.id, vault.clock.now().toISOString());
    vault.audit.append({ actor: actorOf(admin), action: 'security_key.revoked', client, detail: { user_id: k.userId, key_id: k.id, label: k.label } });
  });
}

/** An assertion the key returned but that failed a check: audited, nothing approved. */
export function refuseAssertion(vault: Pick<Vault, 'db' | 'users' | 'audit'>, r: GateRequest, k: SecurityKeyRow, reason: string, device: string): void {
  const owner = vault.users.byId(k.userId)!;
  writeTransaction(vault.db, () => vault.audit.append({ actor: actorOf(owner), action: 'gate.key_refused', device, purpose: r.purpose, detail: { request_id: r.id, key_id: k.id, reason } }));
}

/**
 * A touch on an enrolled key approves its owner's request. The assertion is
 * checked against the stored public key and counter and against the request's
 * commitment; then the key's slot (hmac-secret) opens the vault key and the
 * approval completes as a PIN approval does, with the assertion kept whole in
 * the audit event and the counter moved forward in the same transaction.
 */
export async function approveWithSecurityKey(
  vault: KeyApprovalStore,
  store: RevealStore,
  input: { requestId: number; keyId: number; assertion: KeyAssertion; device: string },
  windows: GateWindows = DEFAULT_WINDOWS,
): Promise<GateRequest> {
  const k = vault.securityKeys.byId(input.keyId);
  const r = vault.gate.byId(input.requestId);
  if (!k || k.revokedAt) throw new AppError('forbidden', 'このセキュリティキーは登録されていないか、無効にされています。');
  if (!r || r.handlerId !== k.userId || stateAt(r, vault.clock.now(), store.requests) !== 'requested') throw new AppError('not_found', '承認できる申請がありません。');
  const owner = vault.users.byId(k.userId)!;
  const actor = actorOf(owner);
  const refuse = (reason: string, message: string): never => {
    writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'gate.key_refused', device: input.device, purpose: r.purpose, detail: { request_id: r.id, key_id: k.id, reason } }));
    throw new AppError('unauthorized', message);
  };
  if (owner.disabledAt) refuse('disabled', 'この担当者は無効にされています。');
  // A handler locked for wrong PINs is locked for every way of approving until an admin looks.
  if (vault.users.pinLockedAt(owner.id)) refuse('pin_locked', 'この担当者はPINの誤りでロックされています。管理者に解除を依頼してください。');
  if (!Buffer.from(input.assertion.credentialId).equals(k.credentialId)) refuse('credential', 'セキュリティキーが登録と一致しません。');
  const clientDataHash = commitmentFor(r);
  const publicKey = createPublicKey({ key: k.publicKey, format: 'der', type: 'spki' });
  const checked = checkAssertion({ rpId: RP_ID, authData: input.assertion.authData, clientDataHash, signature: input.assertion.signature, publicKey, storedCounter: k.signCount });
  if (!checked.ok) refuse(checked.problem, checked.problem === 'counter' ? 'セキュリティキーのカウンタが戻っています（複製の疑い）。管理者に連絡してください。' : 'セキュリティキーの署名を確認できませんでした。');
  const signCount = checked.ok ? checked.signCount : 0;
  const slot = vault.slots.byId(k.slotId);
  if (!slot || slot.params.kind !== 'fido2') refuse('slot', 'このセキュリティキーの鍵スロットがありません。管理者に再登録を依頼してください。');
  const started = performance.now();
  let key: Secret<Buffer>;
  try {
    key = await unlockSlot(slot!, { kind: 'fido2', hmacSecretOutput: input.assertion.hmacSecret }, vault.keys.pepper);
  } catch {
    return refuse('hmac_secret', 'セキュリティキーで鍵を開けられませんでした。管理者に再登録を依頼してください。');
  }
  /** Inside the approval's transaction: the key and its holder are still valid, and the counter only moves forward. */
  const stillValid = () => {
    const now = vault.securityKeys.byId(k.id);
    const holder = vault.users.byId(k.userId);
    if (!now || now.revokedAt || !holder || holder.disabledAt || vault.users.pinLockedAt(holder.id)) throw new AppError('forbidden', 'このセキュリティキーまたは担当者は、承認の途中で無効にされました。');
    if (!vault.securityKeys.used(k.id, signCount, k.signCount, at)) throw new AppError('conflict', 'セキュリティキーのカウンタが同時に更新されました。もう一度タッチしてください。');
  };
  const at = vault.clock.now().toISOString();
  return completeApproval(
    vault,
    store,
    r,
    key,
    {
      kind: 'security_key',
      device: input.device,
      key_id: k.id,
      credentialId: b64u(input.assertion.credentialId),
      authData: b64u(input.assertion.authData),
      signature: b64u(input.assertion.signature),
      signCount,
      clientDataHash: b64u(clientDataHash),
    },
    windows,
    { kdfMs: performance.now() - started, inTransaction: stillValid },
  );
}
