import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/audit-events.js';
import { cardHolderProblem, type CardHolder } from '../domain/card-holder.js';
import type { CardMatch } from '../domain/card-match.js';
import type { CardReadFailure } from '../domain/card-read-failures.js';
import type { CardReaders, CardReaderState } from '../domain/card-reader.js';
import type { CardProtocolProblem } from '../devices/mynumber-card-apdu.js';
import { AppError, publicMessage } from '../domain/errors.js';
import type { PersonId } from '../domain/persons.js';
import { numberCollectionRefusal } from '../domain/number-eligibility.js';
import type { Secret } from '../domain/secret.js';
import { randomCode, type CodeSource } from '../gate/codes.js';
import type { RequestMemory } from '../gate/request-memory.js';
import { cardCampaignAsks } from './card-campaign.js';
import { CardReadFailedError, cardReview, readCardAtAppliance, recordCardReadFailure, sealCardIntake, type CardAtAppliance } from './card-intake.js';
import { FormError } from './accounts.js';
import type { Vault } from './vault.js';
import { logEvent } from '../log.js';
import { cardPinDigits } from '../vault/card-pin.js';

export type CardIntakeState = 'waiting_card' | 'waiting_pin' | 'review' | 'sealed' | 'failed';

/** What the handler's page shows: never the number. */
export interface CardIntakeView {
  id: string;
  code: string;
  personId: PersonId;
  state: CardIntakeState;
  message: string;
  triesLeft: number | null;
  review: { match: CardMatch; signature: string } | null;
  /** Started from this campaign's list: the handler's pages lead back to it. */
  campaignId: number | null;
}

interface Pending extends CardIntakeView {
  actor: Actor;
  purposes: string[];
  holder: CardHolder;
  read: CardAtAppliance | null;
  pin: ((pin: Secret<Uint8Array>) => void) | null;
  expiresAt: number;
}

/** How long a started card intake waits for the card and the PIN. */
export const CARD_INTAKE_WINDOW_MS = 3 * 60_000;

/**
 * 「カードで取得」 at the appliance, one at a time (one reader): a handler starts
 * it for a person with the purposes notified and gets a 6-digit code; the card
 * is placed and its tries left are shown (on the handler's page and the
 * appliance's status line); the holder types the code and the card PIN on the
 * PIN pad; the handler reviews the name and birth date comparison and
 * confirms, which seals the number. The number stays in memory, masked,
 * between the read and the confirmation, and is dropped on expiry.
 */
export class CardIntakeDesk {
  #current: Pending | undefined;

  constructor(
    private readonly vault: Pick<Vault, 'db' | 'publicKey' | 'keys' | 'persons' | 'purposeNotices' | 'identityChecks' | 'campaigns' | 'gate' | 'audit' | 'clock'>,
    /** The gate's memory of codes: a card intake's code is held there while it waits. */
    private readonly requests: RequestMemory,
    private readonly readers: CardReaders,
    private readonly onStatus: (message: string) => void = () => {},
    /** Development: places a virtual card for the person (serve --simulate-devices). */
    private readonly onStart?: (personId: PersonId) => Promise<void>,
    /** Draws the PIN-pad codes (tests pass a scripted source). */
    private readonly codes: CodeSource = randomCode,
  ) {}

  /**
   * `holder` says who brings the card and types its PIN: the person, or for a
   * dependant the supporting employee as 代理人 (checked before the card is read).
   * `campaignId`, when started from a campaign's list, must be a campaign that
   * asks this person (see cardCampaignProblem); sealing counts for its progress.
   */
  start(actor: Actor, personId: PersonId, input: { purposes: string[]; confirmLastTry: boolean; holder?: CardHolder; campaignId?: number }): CardIntakeView {
    const now = this.vault.clock.now().getTime();
    this.#expire(now);
    const busy = this.#current;
    if (busy && (busy.state === 'waiting_card' || busy.state === 'waiting_pin' || (busy.state === 'review' && busy.actor.id !== actor.id))) {
      throw new AppError('conflict', '装置で別のカード読み取りが進行中です。終わってからやり直してください。');
    }
    if (busy) busy.read = null;
    const person = this.vault.persons.byId(personId);
    if (!person) throw new AppError('not_found', '指定された人物は存在しません。');
    const corporation = numberCollectionRefusal(person);
    if (corporation) throw new AppError('invalid', corporation);
    if (this.vault.persons.numberOf(personId)?.state === 'held') {
      throw new AppError('conflict', 'この人物の個人番号は登録済みです。訂正が必要な場合は管理者に相談してください。');
    }
    const holder = input.holder ?? { route: 'direct' };
    const proxy = holder.route === 'proxy' ? this.vault.persons.byId(holder.proxyPersonId) : undefined;
    const holderProblem = cardHolderProblem(person, proxy, holder, input.purposes);
    if (holderProblem) throw new FormError({ [holderProblem.field]: holderProblem.message });
    if (input.campaignId !== undefined && !cardCampaignAsks(this.vault, input.campaignId, person)) {
      throw new AppError('not_found', 'この人物はこの収集キャンペーンの対象ではありません。キャンペーンの一覧から選び直してください。');
    }
    let code = '';
    do code = this.codes();
    while (this.vault.gate.codeInUse(code) || this.requests.codeReserved(code));
    this.requests.reserveCode(code);
    const p: Pending = {
      id: randomUUID(),
      code,
      personId,
      state: 'waiting_card',
      message: 'カードを装置のリーダーに置いてください。',
      triesLeft: null,
      review: null,
      campaignId: input.campaignId ?? null,
      actor,
      purposes: input.purposes,
      holder,
      read: null,
      pin: null,
      expiresAt: now + CARD_INTAKE_WINDOW_MS,
    };
    this.#current = p;
    this.onStatus(p.message);
    void Promise.resolve(this.onStart?.(personId)).then(() => readCardAtAppliance(this.readers, {
      waitMs: CARD_INTAKE_WINDOW_MS,
      confirmLastTry: input.confirmLastTry,
      onTriesLeft: (left) => {
        p.state = 'waiting_pin';
        p.triesLeft = left;
        p.message = `カードの暗証番号は残り${left}回です。装置のPINパッドで番号 ${code} を入力してEnter、続けてカードの暗証番号（4桁）を入力してEnterを押してください。`;
        this.onStatus(p.message);
      },
      pin: () => new Promise((resolve) => (p.pin = resolve)),
    })).then(
      (read) => {
        p.review = cardReview(this.vault, personId, read);
        const refusal = refusalOf(p.review);
        if (refusal !== undefined) {
          // Refused at once: the number is dropped, the failure audited with the reader.
          const signatureReason = refusal.reason === 'signature_invalid' ? read.card.signature.reason : undefined;
          this.#recordFailure(p, { reason: refusal.reason, reader: read.reader, signatureReason });
          p.state = 'failed';
          p.message = refusal.message;
        } else {
          p.read = read;
          p.state = 'review';
          p.message = 'カードを読み取りました。担当者の画面で氏名と生年月日を確認してください。';
        }
        this.onStatus(p.message);
      },
      (err: unknown) => {
        if (err instanceof CardReadFailedError) this.#recordFailure(p, err);
        p.state = 'failed';
        p.message = publicMessage(err);
        this.onStatus(p.message);
      },
    ).finally(() => {
      this.requests.releaseCode(code);
      p.pin = null;
    });
    return view(p);
  }

  /** The readers pcscd sees now, for the admin's home page (a replugged reader shows up without a restart). */
  readerState(): CardReaderState {
    return this.readers.state();
  }

  /** True when the PIN pad's code names a card intake waiting for the PIN (checked before gate requests). */
  has(code: string, now: number): boolean {
    this.#expire(now);
    return this.#current?.code === code && this.#current.state === 'waiting_pin' && this.#current.pin !== null;
  }

  /** The PIN pad's code and card PIN: hands the 4 digits to the card reading, which wipes them. */
  complete(code: string, pin: Secret<string>): void {
    const p = this.#current;
    try {
      if (!p || p.code !== code || p.pin === null) throw new AppError('not_found', 'この番号のカード読み取りはありません。');
      const digits = cardPinDigits(pin);
      if (!digits) throw new AppError('invalid', 'カードの暗証番号は4桁の数字です。担当者の画面から、もう一度始めてください。');
      const give = p.pin;
      p.pin = null;
      give(digits);
    } finally {
      pin.wipe();
    }
  }

  view(id: string): CardIntakeView | undefined {
    this.#expire(this.vault.clock.now().getTime());
    return this.#current?.id === id ? view(this.#current) : undefined;
  }

  /** The handler's confirmation: seals the number (see sealCardIntake) and forgets the read. */
  confirm(actor: Actor, id: string, confirmedDifferences: boolean, client: string | null): void {
    const p = this.#current;
    if (!p || p.id !== id || p.state !== 'review' || !p.read) throw new AppError('not_found', '確認待ちのカード読み取りはありません。最初からやり直してください。');
    if (p.actor.id !== actor.id) throw new AppError('forbidden', 'カード読み取りを始めた担当者だけが確定できます。');
    sealCardIntake(this.vault, actor, p.personId, p.read, { purposes: p.purposes, confirmedDifferences, holder: p.holder, campaignId: p.campaignId }, client);
    p.read = null;
    p.state = 'sealed';
    p.message = '個人番号を登録し、本人確認（個人番号カード（ICチップ読取））を記録しました。';
  }

  /**
   * Audits a failed reading. If the row cannot be written, the fault is
   * logged (codes only) and the reading stays failed: nothing was stored or
   * shown either way.
   */
  #recordFailure(
    p: Pending,
    failure: { reason: CardReadFailure; reader: string; triesLeft?: number | undefined; signatureReason?: string | undefined; cardProblem?: CardProtocolProblem | undefined },
  ): void {
    try {
      recordCardReadFailure(this.vault, p.actor, p.personId, failure, null);
    } catch (err) {
      logEvent('error', 'card_failure_unrecorded', { reason: failure.reason, error: err instanceof Error ? err.name : 'unknown' });
    }
  }

  #expire(now: number): void {
    const p = this.#current;
    if (p && now > p.expiresAt && p.state !== 'sealed') {
      p.read = null;
      p.state = 'failed';
      p.message = '時間切れです。最初からやり直してください。';
      this.requests.releaseCode(p.code);
    }
  }
}

/** A card the appliance refuses as soon as it is read: its data failed the signature check, or it is someone else's. */
function refusalOf(review: { match: CardMatch; signature: string }): { reason: CardReadFailure; message: string } | undefined {
  if (review.signature === 'invalid') {
    return {
      reason: 'signature_invalid',
      message: 'カードのデータが署名と一致しません（偽造または破損のおそれ）。番号は登録していません。カードの券面と書類で確認してください。',
    };
  }
  if (!review.match.acceptable) {
    return {
      reason: 'name_mismatch',
      message: 'カードの氏名または生年月日が登録内容と一致しません。別人のカードでないか確認してください（番号は登録していません）。',
    };
  }
  return undefined;
}

function view(p: Pending): CardIntakeView {
  return { id: p.id, code: p.code, personId: p.personId, state: p.state, message: p.message, triesLeft: p.triesLeft, review: p.review, campaignId: p.campaignId };
}
