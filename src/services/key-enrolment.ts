import { randomUUID } from 'node:crypto';
import { randomCode, type CodeSource } from '../gate/codes.js';
import { looksLikeNumber } from '../domain/digits.js';
import { AppError } from '../domain/errors.js';
import type { RequestMemory } from '../gate/request-memory.js';
import type { Secret } from '../domain/secret.js';
import type { UserView } from '../domain/users.js';
import type { SecurityKeyStation } from './security-key-station.js';
import { edgeSpaceTrimmed, normaliseText, unsafeTextProblem } from '../domain/text-safety.js';
import type { Vault } from './vault.js';

/** What the person at the appliance is told when the key itself fails during an enrolment. */
export function keyFailureMessage(err: unknown): string {
  switch ((err as { reason?: string } | null)?.reason) {
    case 'timeout':
      return 'タッチが確認できないまま時間切れになりました。もう一度登録を始めてください。';
    case 'cancelled':
      return '登録が中断されました。もう一度登録を始めてください。';
    case 'pin_required':
      return 'このキーにはPINが設定されています。この装置ではキーのPINを使いません。PINを設定していないキーを使ってください。';
    case 'unsupported':
      return 'このキーはFIDO2（CTAP2）のhmac-secretとES256に対応していません。対応するキーを使ってください。';
    case 'device_gone':
      return '登録中にキーが抜かれました。挿し直して、もう一度登録を始めてください。';
    default:
      return 'セキュリティキーとの通信に失敗しました。挿し直して、もう一度登録を始めてください。';
  }
}

export type EnrolmentState = 'waiting_pin' | 'touching' | 'done' | 'failed' | 'expired';

export interface Enrolment {
  id: string;
  code: string;
  adminId: string;
  userId: string;
  label: string;
  state: EnrolmentState;
  message: string;
  expiresAt: number;
  keyId: number | null;
}

/** How long an enrolment code waits for the admin at the appliance. */
export const ENROLMENT_WINDOW_MS = 5 * 60_000;

/**
 * Security-key enrolments waiting for the admin at the appliance. The admin
 * starts one in the browser and gets a code; at the PIN pad they type the
 * code and their own PIN (so the enrolment happens in person, in the 管理区域),
 * then the key's owner touches the key. Held in memory only: a restart
 * forgets unfinished enrolments, which is the safe direction.
 */
export class EnrolmentDesk {
  readonly #items = new Map<string, Enrolment>();

  constructor(
    private readonly vault: Pick<Vault, 'users' | 'gate'>,
    /** The gate's memory of codes: an enrolment's code is held there while it waits. */
    private readonly requests: RequestMemory,
    private readonly station: SecurityKeyStation,
    private readonly codes: CodeSource = randomCode,
  ) {}

  start(admin: UserView, userId: string, label: string, now: number): Enrolment {
    this.#sweep(now);
    const user = this.vault.users.byId(userId);
    if (!user || user.disabledAt || user.role === 'auditor') throw new AppError('invalid', 'セキュリティキーを登録できるのは、有効な事務取扱担当者か管理者です。');
    const unsafe = unsafeTextProblem('キーの名前', edgeSpaceTrimmed(label));
    if (unsafe !== null) throw new AppError('invalid', unsafe);
    const clean = normaliseText(label).trim();
    if (clean.length > 60 || /[\u0000-\u001f]/u.test(clean)) throw new AppError('invalid', 'キーの名前は制御文字を含まない60文字以内にしてください。');
    if (looksLikeNumber(clean)) throw new AppError('invalid', 'キーの名前に個人番号のような12桁の数字は入れられません。');
    let code = '';
    do code = this.codes();
    while (this.vault.gate.codeInUse(code) || this.requests.codeReserved(code));
    this.requests.reserveCode(code);
    const e: Enrolment = { id: randomUUID(), code, adminId: admin.id, userId: user.id, label: clean || 'セキュリティキー', state: 'waiting_pin', message: '装置のPINパッドで登録番号とあなたのPINを入力してください。', expiresAt: now + ENROLMENT_WINDOW_MS, keyId: null };
    this.#items.set(e.id, e);
    return e;
  }

  get(id: string, adminId: string, now: number): Enrolment | undefined {
    this.#sweep(now);
    const e = this.#items.get(id);
    return e && e.adminId === adminId ? e : undefined;
  }

  /** True when the PIN pad's code names a waiting enrolment (checked before gate requests). */
  has(code: string, now: number): boolean {
    this.#sweep(now);
    return this.#byCode(code)?.state === 'waiting_pin';
  }

  /** The PIN pad's code and PIN: the admin's PIN opens the vault key, then the key is enrolled. */
  async complete(code: string, pin: Secret<string>, now: number): Promise<Enrolment> {
    this.#sweep(now);
    const e = this.#byCode(code);
    if (!e || e.state !== 'waiting_pin') throw new AppError('not_found', '登録番号が見つからないか、有効期限が切れています。');
    const admin = this.vault.users.byId(e.adminId);
    if (!admin) throw new AppError('not_found', '登録を始めた管理者が見つかりません。');
    e.state = 'touching';
    e.message = 'キーが点滅したらタッチしてください（2回）。';
    try {
      const row = await this.station.enrol({ admin, adminPin: pin, userId: e.userId, label: e.label });
      e.state = 'done';
      e.keyId = row.id;
      e.message = '登録しました。';
    } catch (err) {
      // A wrong PIN leaves the enrolment waiting for another try; anything else ends it.
      const wrongPin = err instanceof AppError && err.code === 'unauthorized';
      const shown = err instanceof AppError ? err : new AppError('device_unavailable', keyFailureMessage(err), { cause: err });
      e.state = wrongPin ? 'waiting_pin' : 'failed';
      e.message = shown.publicMessage;
      if (!wrongPin) this.requests.releaseCode(e.code);
      throw shown;
    }
    this.requests.releaseCode(e.code);
    return e;
  }

  #byCode(code: string): Enrolment | undefined {
    for (const e of this.#items.values()) if (e.code === code) return e;
    return undefined;
  }

  #sweep(now: number): void {
    for (const [id, e] of this.#items) {
      if (e.state === 'waiting_pin' && e.expiresAt <= now) {
        this.requests.releaseCode(e.code);
        e.state = 'expired';
        e.message = '有効期限が切れました。もう一度登録を始めてください。';
      }
      // Finished ones are kept a little for the page that shows the result.
      if (e.expiresAt + ENROLMENT_WINDOW_MS <= now) this.#items.delete(id);
    }
  }
}
