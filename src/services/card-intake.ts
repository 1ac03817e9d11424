/**
 * 取得 by the 個人番号カード at the appliance (「カードで取得」):
 *
 *   1. readCardAtAppliance(): wait for a card, ask the tries left (shown before
 *      the holder types; with one try left the holder must confirm), take the
 *      4-digit PIN from the appliance's PIN pad (never a browser), read the chip.
 *   2. The handler sees compareCardWithRecord(): name and birth date against
 *      the record, differences named (旧姓, 外字, spacing), never the number.
 *   3. sealCardIntake(): on confirmation, one transaction seals the number,
 *      records the identity check as 「個人番号カード（ICチップ読取）」 with the
 *      signature result and the device, and the purposes notified, with their
 *      audit events.
 *
 * The number stays a MyNumber in memory between 1 and 3 (masked when printed)
 * and is dropped when the read is confirmed, refused or expires.
 */
import type { Actor } from '../domain/audit-events.js';
import { cardHolderProblem, type CardHolder } from '../domain/card-holder.js';
import { compareCardWithRecord, type CardMatch } from '../domain/card-match.js';
import type { CardReaders } from '../domain/card-reader.js';
import { japanDate } from '../domain/dates.js';
import type { CardReadFailure } from '../domain/card-read-failures.js';
import { AppError, type ErrorCode } from '../domain/errors.js';
import { MY_NUMBER_CARD_IC } from '../domain/identity-documents.js';
import type { PersonId } from '../domain/persons.js';
import type { Secret } from '../domain/secret.js';
import { probeCard, readCard, type CardRead } from '../devices/mynumber-card.js';
import { CardProtocolError, type CardProtocolProblem } from '../devices/mynumber-card-apdu.js';
import { writeTransaction } from '../storage/database.js';
import { numberIndex } from '../vault/number-index.js';
import { FormError, type FieldErrors } from './accounts.js';
import { countCardIntakeInCampaigns } from './card-campaign.js';
import { parsePurposes, storeNumber } from './intake.js';
import { numberCollectionRefusal } from '../domain/number-eligibility.js';
import type { Vault } from './vault.js';

export interface CardReadRequest {
  /** How long to wait for the card to be placed. */
  waitMs: number;
  /** Shown to the holder before they type (the appliance's status line). */
  onTriesLeft?: (left: number) => void;
  /** The holder confirmed at the appliance that they accept spending their last try. */
  confirmLastTry?: boolean;
  /** Reads the 4 digits from the PIN pad; the Secret is wiped after use. */
  pin: (triesLeft: number) => Promise<Secret<Uint8Array>>;
  signal?: AbortSignal;
}

export interface CardAtAppliance {
  card: CardRead;
  /** The reader's name, recorded as the device. */
  reader: string;
}

/**
 * A reading that failed with a card in the reader: the error the holder and
 * the handler see, with what the audit row records (the reason, the reader,
 * the tries the card says are left) and never any card data.
 */
export class CardReadFailedError extends AppError {
  /** What the card's answers broke (a closed code, never card data) when they could not be used. */
  readonly cardProblem: CardProtocolProblem | undefined;

  constructor(
    readonly reason: CardReadFailure,
    readonly reader: string,
    readonly triesLeft: number | undefined,
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'CardReadFailedError';
    this.cardProblem = options?.cause instanceof CardProtocolError ? options.cause.problem : undefined;
  }
}

export async function readCardAtAppliance(readers: CardReaders, req: CardReadRequest): Promise<CardAtAppliance> {
  const session = await readers.waitForCard(req.waitMs, req.signal);
  const fail = (reason: CardReadFailure, code: ErrorCode, message: string, left?: number, cause?: unknown) =>
    new CardReadFailedError(reason, session.reader, left, code, message, { cause });
  try {
    const transmit = (a: Uint8Array) => session.transmit(a);
    const state = await probeCard(transmit);
    if (state.kind === 'locked') throw fail('card_locked', 'locked', LOCKED_MESSAGE);
    const left = state.kind === 'tries_left' ? state.left : 3;
    req.onTriesLeft?.(left);
    if (left === 1 && !req.confirmLastTry) {
      throw fail(
        'last_try_unconfirmed',
        'invalid',
        'カードの暗証番号はあと1回間違えるとロックされます（解除は市区町村の窓口のみ）。暗証番号に確かな覚えがある場合だけ、本人の確認を得てからやり直してください。',
        1,
      );
    }
    const outcome = await readCard(transmit, await req.pin(left));
    if (outcome.kind === 'locked') throw fail('card_locked', 'locked', LOCKED_MESSAGE, 0);
    if (outcome.kind === 'wrong_pin') {
      throw fail('wrong_pin', 'unauthorized', `カードの暗証番号が違います。あと${outcome.left}回でロックされます。`, outcome.left);
    }
    return { card: outcome.card, reader: session.reader };
  } catch (err) {
    if (err instanceof CardReadFailedError) throw err;
    if (err instanceof CardProtocolError) {
      if (err.problem === 'not_mynumber_card') {
        throw fail('not_mynumber_card', 'invalid', 'このカードは個人番号カードではないか、券面事項入力補助の機能がありません。個人番号カードを置いてやり直してください。', undefined, err);
      }
      throw fail('card_error', 'device_unavailable', 'カードの応答を読み取れませんでした。カードをリーダーに置き直して、最初からやり直してください。', undefined, err);
    }
    if (err instanceof AppError && err.code === 'device_unavailable') throw fail('card_removed', 'device_unavailable', err.publicMessage, undefined, err);
    throw err;
  } finally {
    await session.close();
  }
}

const LOCKED_MESSAGE =
  'このカードの券面事項入力補助用暗証番号はロックされています。本人が市区町村の窓口で解除してから、カードで取得してください（書類での取得もできます）。';

/**
 * Appends 'card.read_failed' for a failed reading at the appliance: who
 * started it, whose intake it was, the reader as the device, the reason and
 * the tries left. Never the number, the PIN or card data.
 */
export function recordCardReadFailure(
  vault: Pick<Vault, 'db' | 'persons' | 'audit'>,
  actor: Actor,
  personId: PersonId,
  failure: { reason: CardReadFailure; reader: string; triesLeft?: number | undefined; signatureReason?: string | undefined; cardProblem?: CardProtocolProblem | undefined },
  client: string | null,
): void {
  const person = vault.persons.byId(personId);
  const subjects = person ? [{ id: person.id, name: person.name }] : [];
  const detail: Record<string, string | number> = { reason: failure.reason };
  if (failure.triesLeft !== undefined) detail.tries_left = failure.triesLeft;
  // Which part of the signature check failed: a fixed English phrase, never card data.
  if (failure.signatureReason !== undefined) detail.signature_reason = failure.signatureReason;
  // A card whose answers could not be used: which rule they broke (device/card-readers.md).
  if (failure.cardProblem !== undefined) detail.card_problem = failure.cardProblem;
  writeTransaction(vault.db, () => vault.audit.append({ actor, action: 'card.read_failed', subjects, client, device: failure.reader, detail }));
}

/** What the handler is shown before confirming: never the number. */
export function cardReview(vault: Pick<Vault, 'persons'>, personId: PersonId, read: CardAtAppliance): { match: CardMatch; signature: CardRead['signature']['result'] } {
  const person = vault.persons.byId(personId) ?? raiseNotFound();
  return { match: compareCardWithRecord(read.card.basicFour, person), signature: read.card.signature.result };
}

/**
 * Seals the number read from the card and records the identity check, both
 * audited with the device, in one transaction. Refuses a card whose data
 * failed its signature check, a card that does not match the record unless
 * the handler has confirmed the difference, and a number held for someone else.
 */
export function sealCardIntake(
  vault: Pick<Vault, 'db' | 'publicKey' | 'keys' | 'persons' | 'purposeNotices' | 'identityChecks' | 'campaigns' | 'audit' | 'clock'>,
  actor: Actor,
  personId: PersonId,
  read: CardAtAppliance,
  input: { purposes: string[]; confirmedDifferences: boolean; holder?: CardHolder; campaignId?: number | null },
  client: string | null,
): void {
  const person = vault.persons.byId(personId) ?? raiseNotFound();
  const holder: CardHolder = input.holder ?? { route: 'direct' };
  const corporation = numberCollectionRefusal(person);
  if (corporation) throw new AppError('invalid', corporation);
  if (vault.persons.numberOf(person.id)?.state === 'held') throw new AppError('conflict', 'この人物の個人番号は登録済みです。訂正が必要な場合は管理者に相談してください。');
  const signature = read.card.signature;
  if (signature.result === 'invalid') {
    throw new AppError('invalid', 'カードのデータが署名と一致しません（偽造または破損のおそれ）。番号は登録していません。カードの券面と書類で確認してください。');
  }
  const match = compareCardWithRecord(read.card.basicFour, person);
  const errors: FieldErrors = {};
  const purposes = parsePurposes(person, input.purposes, errors);
  const proxy = holder.route === 'proxy' ? vault.persons.byId(holder.proxyPersonId) : undefined;
  const holderProblem = cardHolderProblem(person, proxy, holder, purposes);
  if (holderProblem) errors[holderProblem.field] = holderProblem.message;
  if (!match.acceptable) errors.card = 'カードの氏名または生年月日が登録内容と一致しません。別人のカードでないか確認してください（番号は登録していません）。';
  else if (!(match.name.same && match.birthDate === 'same') && !input.confirmedDifferences) errors.card = 'カードと登録内容の違いを確認して、チェックを入れてください。';
  const index = numberIndex(vault.keys.index, read.card.myNumber);
  const numberHolder = vault.persons.personWithIndex(index);
  if (numberHolder !== undefined && numberHolder !== person.id) errors.card = 'この個人番号は別の人物に登録済みです。二重登録がないか確認してください。';
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const now = vault.clock.now();
  const at = now.toISOString();
  const subjects = [{ id: person.id, name: person.name }];
  writeTransaction(vault.db, () => {
    // The purposes the handler showed at the appliance, notified today (as handler intake records them).
    vault.purposeNotices.insert({ personId: person.id, role: person.kind, purposes, notifiedOn: japanDate(now), via: 'handler', actorId: actor.id, createdAt: at });
    storeNumber(vault, person, { number: read.card.myNumber, index }, purposes, at);
    vault.audit.append({
      actor, action: 'number.recorded', subjects, client, device: read.reader,
      detail: { purposes: purposes.join(','), by: 'card', ...(input.campaignId ? { campaign: input.campaignId } : {}) },
    });
    // Before the identity-check row, whose trigger then makes the member 本人確認済.
    countCardIntakeInCampaigns(vault, person, at);
    vault.identityChecks.insert({
      personId: person.id,
      method: 'in_person',
      numberDocument: MY_NUMBER_CARD_IC,
      identityDocuments: [MY_NUMBER_CARD_IC],
      checkedOn: japanDate(now),
      checkerId: actor.id,
      note: `署名検証: ${SIGNATURE_LABEL[signature.result]}${proxy ? ` / 代理人（扶養している従業員）: ${proxy.name}` : ''}`,
      createdAt: at,
      numberIndex: index,
      route: holder.route,
      detail: holder.route === 'proxy' ? { authority_document: holder.authorityDocument, proxy_documents: [...holder.proxyDocuments], proxy_person_id: holder.proxyPersonId } : null,
    });
    vault.audit.append({
      actor,
      action: 'identity.checked',
      subjects,
      client,
      device: read.reader,
      detail: {
        method: 'in_person',
        route: holder.route,
        ...(holder.route === 'proxy'
          ? { authority_document: holder.authorityDocument, proxy_documents: holder.proxyDocuments.join(','), proxy_person_id: holder.proxyPersonId }
          : {}),
        number_document: MY_NUMBER_CARD_IC,
        identity_documents: MY_NUMBER_CARD_IC,
        signature: signature.result,
        signature_reason: signature.reason,
        signature_chain: signature.chain,
        name_match: match.name.same ? 'same' : match.name.difference,
        birth_date_match: match.birthDate,
      },
    });
  });
}

const SIGNATURE_LABEL = { valid: '一致', invalid: '不一致', unavailable: '署名なし' } as const;

function raiseNotFound(): never {
  throw new AppError('not_found', '指定された人物は存在しません。');
}
