import { randomInt } from 'node:crypto';
import type { Actor } from '../domain/audit-events.js';
import { AppError } from '../domain/errors.js';
import { MyNumber } from '../domain/my-number.js';
import { findPurpose } from '../domain/purposes.js';
import { Secret, zeroize } from '../domain/secret.js';
import { DEFAULT_WINDOWS, PIN_LOCK_AFTER, stateAt, type GateRequest, type GateWindows } from '../gate/requests.js';
import { writeTransaction } from '../storage/database.js';
import type { UserRow } from '../storage/users-repo.js';
import { Opener } from '../vault/sealed-box.js';
import { unlockSlot } from '../vault/slots.js';
import { actorOf } from './accounts.js';
import { numberRecordId, NUMBER_FIELD } from './numbers.js';
import type { Vault } from './vault.js';

/**
 * Numbers opened by an approval, held in memory only for the viewing window
 * and handed only to the handler who asked. Wiped when the window ends.
 */
export class RevealStore {
  readonly #items = new Map<number, { digits: Buffer; until: number }>();

  put(requestId: number, digits: Buffer, until: number): void {
    this.#items.get(requestId)?.digits.fill(0);
    this.#items.set(requestId, { digits, until });
  }

  take(requestId: number, now: number): MyNumber | undefined {
    this.sweep(now);
    const item = this.#items.get(requestId);
    return item && MyNumber.parse(item.digits.toString('latin1'));
  }

  drop(requestId: number): void {
    this.#items.get(requestId)?.digits.fill(0);
    this.#items.delete(requestId);
  }

  sweep(now: number): void {
    for (const [id, item] of this.#items) {
      if (item.until <= now) {
        item.digits.fill(0);
        this.#items.delete(id);
      }
    }
  }

  clear(): void {
    for (const item of this.#items.values()) item.digits.fill(0);
    this.#items.clear();
  }
}

/** A handler asks to see one person's number for a legal purpose; returns the request and its code. */
export function requestReveal(vault: Vault, handler: UserRow, input: { personId: number; purpose: string; note?: string }, client: string | null, windows: GateWindows = DEFAULT_WINDOWS): GateRequest {
  const person = vault.persons.byId(input.personId);
  if (!person) throw new AppError('not_found', '指定された人物は登録されていません。');
  const purpose = findPurpose(input.purpose);
  if (!purpose || !(purpose.appliesTo as readonly string[]).includes(person.kind)) {
    throw new AppError('invalid', 'この人物に使える利用目的を一覧から選んでください。');
  }
  if (vault.persons.numberOf(person.id)?.state !== 'held') throw new AppError('invalid', 'この人物の個人番号は登録されていません。');
  const note = (input.note ?? '').normalize('NFKC').trim();
  if (note.length > 200 || /[\u0000-\u001f]/u.test(note)) throw new AppError('invalid', 'メモは制御文字を含まない200文字以内にしてください。');
  const now = vault.clock.now();
  return writeTransaction(vault.db, () => {
    let code = '';
    do code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    while (vault.gate.codeInUse(code));
    const id = vault.gate.insert({
      code,
      kind: 'reveal',
      handlerId: handler.id,
      personIds: [person.id],
      purpose: purpose.code,
      note: note || null,
      createdAt: now.toISOString(),
      approveBy: new Date(now.getTime() + windows.approvalMs).toISOString(),
    });
    vault.audit.append({ actor: actorOf(handler), action: 'gate.requested', subjects: [{ id: person.id, name: person.name }], purpose: purpose.code, client, detail: { request_id: id, kind: 'reveal' } });
    return vault.gate.byId(id)!;
  });
}

export function cancelRequest(vault: Vault, handler: UserRow, requestId: number, client: string | null): void {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id) throw new AppError('not_found', '指定された申請はありません。');
  if (stateAt(r, vault.clock.now()) !== 'requested') throw new AppError('conflict', 'この申請は既に承認・失効しています。');
  writeTransaction(vault.db, () => {
    vault.gate.setState(r.id, 'cancelled');
    vault.audit.append({ actor: actorOf(handler), action: 'gate.cancelled', client, purpose: r.purpose, detail: { request_id: r.id } });
  });
}

/**
 * Approval at the appliance: request code and PIN from the PIN pad. Only the
 * requesting handler's own PIN slot can open the vault key for it; wrong PINs
 * count against that handler and lock after PIN_LOCK_AFTER. On success the
 * entry into the 管理区域 and the reveal commit (synchronous=FULL) before the
 * opened number is kept for the viewing window. If they cannot be written,
 * nothing is kept: fail closed.
 */
export async function approveWithPin(
  vault: Vault,
  store: RevealStore,
  input: { code: string; pin: Secret<string>; device: string },
  windows: GateWindows = DEFAULT_WINDOWS,
): Promise<GateRequest> {
  const now = vault.clock.now();
  const r = vault.gate.openByCode(input.code);
  if (!r || stateAt(r, now) !== 'requested') throw new AppError('not_found', '申請番号が見つからないか、有効期限が切れています。');
  const handler = vault.users.byId(r.handlerId)!;
  const actor = actorOf(handler);
  if (vault.gate.pinLockedAt(handler.id) || handler.disabledAt) {
    writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'gate.pin_refused', device: input.device, purpose: r.purpose, detail: { request_id: r.id, reason: handler.disabledAt ? 'disabled' : 'pin_locked' } }));
    throw new AppError('locked', 'この担当者のPINはロックされています。管理者（事務取扱責任者）に解除を依頼してください。');
  }
  const slot = vault.slots.pinSlotOf(handler.id);
  if (!slot) throw new AppError('forbidden', 'この担当者にはPINが設定されていません。管理者に設定を依頼してください。');
  let key: Secret<Buffer>;
  try {
    key = await unlockSlot(slot, { kind: 'pin', pin: input.pin }, vault.keys.pepper);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'unauthorized') throw err;
    const at = vault.clock.now().toISOString();
    const locked = writeTransaction(vault.db, () => {
      const f = vault.gate.pinFailed(handler.id, PIN_LOCK_AFTER, at);
      vault.audit.append({ actor, action: 'slot.unlock_failed', device: input.device, purpose: r.purpose, detail: { request_id: r.id, kind: 'pin', failures: f.failures } });
      if (f.locked) vault.audit.append({ actor, action: 'gate.pin_locked', device: input.device, detail: { user_id: handler.id, failures: f.failures } });
      return f.locked;
    });
    throw new AppError(locked ? 'locked' : 'unauthorized', locked ? 'PINの誤りが続いたため、この担当者はロックされました。管理者に解除を依頼してください。' : 'PINが正しくありません。');
  }

  const opener = new Opener(key.expose(), vault.publicKey);
  const opened: Buffer[] = [];
  try {
    for (const id of r.personIds) {
      const n = vault.persons.numberOf(id);
      if (n?.state !== 'held' || !n.sealed) throw new AppError('not_found', '申請された人物の個人番号がありません。');
      opened.push(opener.open(n.sealed, numberRecordId(id), NUMBER_FIELD));
    }
    const approvedAt = vault.clock.now();
    const viewUntil = new Date(approvedAt.getTime() + windows.viewMs);
    const subjects = r.personIds.map((id) => ({ id, name: vault.persons.byId(id)!.name }));
    writeTransaction(vault.db, () => {
      vault.gate.setState(r.id, 'approved', { approvedAt: approvedAt.toISOString(), viewUntil: viewUntil.toISOString(), device: input.device });
      vault.gate.pinSucceeded(handler.id);
      vault.audit.append({ actor, action: 'gate.entry', device: input.device, purpose: r.purpose, subjects, detail: { request_id: r.id, kind: r.kind, method: 'pin' } });
      vault.audit.append({ actor, action: 'number.revealed', device: input.device, purpose: r.purpose, subjects, detail: { request_id: r.id } });
    });
    store.put(r.id, opened[0]!, viewUntil.getTime());
    opened.length = 0;
    return vault.gate.byId(r.id)!;
  } finally {
    zeroize(...opened);
    opener.wipe();
    key.wipe();
  }
}

/** What the handler's waiting page shows: the state, and the number while the window lasts. */
export function viewReveal(vault: Vault, store: RevealStore, handler: UserRow, requestId: number): { request: GateRequest; state: GateRequest['state']; number?: MyNumber } {
  const r = vault.gate.byId(requestId);
  if (!r || r.handlerId !== handler.id) throw new AppError('not_found', '指定された申請はありません。');
  const now = vault.clock.now();
  const state = stateAt(r, now);
  if (state !== r.state && (state === 'expired' || state === 'consumed')) {
    writeTransaction(vault.db, () => vault.gate.setState(r.id, state));
  }
  if (state !== 'approved') {
    store.drop(r.id);
    return { request: r, state };
  }
  return { request: r, state, number: store.take(r.id, now.getTime()) };
}

/** An admin lifts a handler's PIN lock. */
export function unlockHandlerPin(vault: Vault, admin: Actor, userId: string, client: string | null): void {
  const user = vault.users.byId(userId);
  if (!user) throw new AppError('not_found', '指定されたユーザーは存在しません。');
  writeTransaction(vault.db, () => {
    vault.gate.unlockPin(user.id);
    vault.audit.append({ actor: admin, action: 'gate.pin_unlocked', client, detail: { user_id: user.id } });
  });
}
