import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import { randomCode, type CodeSource } from '../gate/codes.js';
import type { RequestMemory } from '../gate/request-memory.js';
import { checkpointTruncate, writeTransaction } from '../storage/database.js';
import type { UserView } from '../domain/users.js';
import { checkPinRules, createSlot, samePin, newPinParams, PRODUCTION_PIN_COST, type PinCost } from '../vault/slots.js';
import { actorOf, unlockOwnPin } from './accounts.js';
import type { Vault } from './vault.js';

export type PinEnrolmentState = 'waiting' | 'done' | 'expired';

export interface PinEnrolment {
  id: string;
  code: string;
  adminId: string;
  userId: string;
  state: PinEnrolmentState;
  /** The last thing the pad was told (a mismatch, a weak PIN), for the admin's page. */
  message: string | null;
  expiresAt: number;
}

/** How long an enrolment code waits for the handler at the appliance. */
export const PIN_ENROLMENT_WINDOW_MS = 5 * 60_000;

interface Held extends PinEnrolment {
  key: Secret<Buffer> | null;
  timer: NodeJS.Timeout | null;
}

/**
 * PIN enrolment at the appliance (PINの登録): an admin starts it in the
 * browser with their own PIN and gets a 6-digit code; the handler, at the PIN
 * pad in the 管理区域, types the code, then the new PIN twice. So no admin
 * ever types or sees a handler's PIN.
 *
 * The admin's PIN opens the vault key at the start (a new slot wraps it); the
 * key is held in this process's memory only until the handler finishes or the
 * window ends, then wiped (a timer wipes it even if nobody comes). Held in
 * memory only: a restart forgets unfinished enrolments, the safe direction.
 */
export class PinEnrolmentDesk {
  readonly #items = new Map<string, Held>();

  constructor(
    private readonly vault: Pick<Vault, 'db' | 'vaultId' | 'keys' | 'users' | 'slots' | 'gate' | 'audit' | 'clock'>,
    /** The gate's memory of codes: an enrolment's code is held there while it waits. */
    private readonly requests: RequestMemory,
    private readonly pinCost: PinCost = PRODUCTION_PIN_COST,
    /** Draws the PIN-pad codes (tests pass a scripted source). */
    private readonly codes: CodeSource = randomCode,
  ) {}

  async start(admin: UserView, userId: string, adminPin: Secret<string>, client: string | null): Promise<PinEnrolment> {
    const user = this.vault.users.byId(userId);
    if (!user || user.disabledAt || user.role === 'auditor') throw new AppError('invalid', '装置でPINを登録できるのは、有効な事務取扱担当者か管理者です。');
    const key = await unlockOwnPin(this.vault, admin, adminPin, client, 'pin_enrolment', 'adminPin');
    // One waiting enrolment per user: a new start replaces the old one.
    for (const e of this.#items.values()) if (e.userId === user.id && e.state === 'waiting') this.#end(e, 'expired');
    let code: string;
    do code = this.codes();
    while (this.vault.gate.codeInUse(code) || this.requests.codeReserved(code));
    this.requests.reserveCode(code);
    const now = this.vault.clock.now().getTime();
    const e: Held = { id: randomUUID(), code, adminId: admin.id, userId: user.id, state: 'waiting', message: null, expiresAt: now + PIN_ENROLMENT_WINDOW_MS, key, timer: null };
    e.timer = setTimeout(() => this.#end(e, 'expired'), PIN_ENROLMENT_WINDOW_MS);
    e.timer.unref();
    this.#items.set(e.id, e);
    writeTransaction(this.vault.db, () =>
      this.vault.audit.append({ actor: actorOf(admin), action: 'pin.enrolment_started', client, detail: { user_id: user.id, login: user.login } }),
    );
    return view(e);
  }

  get(id: string, adminId: string, now: number): PinEnrolment | undefined {
    this.#sweep(now);
    const e = this.#items.get(id);
    return e && e.adminId === adminId ? view(e) : undefined;
  }

  /** True when the PIN pad's code names a waiting enrolment: the pad then asks for the PIN twice. */
  has(code: string, now: number): boolean {
    this.#sweep(now);
    return this.#byCode(code) !== undefined;
  }

  /**
   * The code and the new PIN twice, from the pad. A mismatch or a weak PIN
   * leaves the enrolment waiting for another try (the message says why);
   * success replaces the user's PIN slot, lifts a PIN lock, and is audited.
   */
  async complete(code: string, pin: Secret<string>, again: Secret<string>, device: string): Promise<void> {
    this.#sweep(this.vault.clock.now().getTime());
    const e = this.#byCode(code);
    if (!e?.key) throw new AppError('not_found', '登録番号が見つからないか、有効期限が切れています。');
    if (!samePin(pin, again)) {
      e.message = '2回のPINが一致しませんでした。登録番号からやり直してください。';
      throw new AppError('invalid', e.message);
    }
    const rule = checkPinRules(pin);
    if (rule) {
      e.message = `${rule}登録番号からやり直してください。`;
      throw new AppError('invalid', e.message);
    }
    const key = e.key;
    const slot = await createSlot(this.vault.vaultId, randomUUID(), newPinParams(this.pinCost), { kind: 'pin', pin }, this.vault.keys.pepper, key);
    if (e.state !== 'waiting') throw new AppError('not_found', '登録番号が見つからないか、有効期限が切れています。');
    const admin = this.vault.users.byId(e.adminId);
    const user = this.vault.users.byId(e.userId)!;
    const actor = actorOf(user);
    const now = this.vault.clock.now();
    writeTransaction(this.vault.db, () => {
      const previous = this.vault.slots.pinSlotOf(user.id);
      this.vault.slots.revokePinOf(user.id, now);
      if (previous) this.vault.audit.append({ actor, action: 'slot.revoked', device, detail: { slot_id: previous.id, kind: 'pin', user_id: user.id, reason: 'pin_enrolment' } });
      this.vault.slots.insert(slot, user.id, now);
      this.vault.users.unlockPin(user.id);
      this.vault.audit.append({ actor, action: 'pin.enrolled', device, detail: { slot_id: slot.id, user_id: user.id, started_by: admin?.id ?? e.adminId } });
    });
    checkpointTruncate(this.vault.db);
    e.message = null;
    this.#end(e, 'done');
  }

  #end(e: Held, state: PinEnrolmentState): void {
    if (e.state !== 'waiting') return;
    e.state = state;
    e.key?.wipe();
    e.key = null;
    if (e.timer) clearTimeout(e.timer);
    this.requests.releaseCode(e.code);
  }

  #byCode(code: string): Held | undefined {
    for (const e of this.#items.values()) if (e.code === code && e.state === 'waiting') return e;
    return undefined;
  }

  #sweep(now: number): void {
    for (const [id, e] of this.#items) {
      if (e.state === 'waiting' && e.expiresAt <= now) this.#end(e, 'expired');
      // Finished ones are kept a little for the page that shows the result.
      if (e.expiresAt + PIN_ENROLMENT_WINDOW_MS <= now) this.#items.delete(id);
    }
  }

  /** Wipes every held key (the server is stopping). */
  close(): void {
    for (const e of this.#items.values()) this.#end(e, 'expired');
  }
}

function view(e: Held): PinEnrolment {
  return { id: e.id, code: e.code, adminId: e.adminId, userId: e.userId, state: e.state, message: e.message, expiresAt: e.expiresAt };
}
