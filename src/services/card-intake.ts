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
import { compareCardWithRecord, type CardMatch } from '../domain/card-match.js';
import type { CardReaders } from '../domain/card-reader.js';
import { japanDate } from '../domain/dates.js';
import { AppError } from '../domain/errors.js';
import { MY_NUMBER_CARD_IC } from '../domain/identity-documents.js';
import type { PersonId } from '../domain/persons.js';
import type { Secret } from '../domain/secret.js';
import { probeCard, readCard, type CardRead } from '../devices/mynumber-card.js';
import { writeTransaction } from '../storage/database.js';
import { numberIndex } from '../vault/number-index.js';
import { FormError, type FieldErrors } from './accounts.js';
import { parsePurposes, storeNumber } from './intake.js';
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

export async function readCardAtAppliance(readers: CardReaders, req: CardReadRequest): Promise<CardAtAppliance> {
  const session = await readers.waitForCard(req.waitMs, req.signal);
  try {
    const transmit = (a: Uint8Array) => session.transmit(a);
    const state = await probeCard(transmit);
    if (state.kind === 'locked') throw lockedError();
    const left = state.kind === 'tries_left' ? state.left : 3;
    req.onTriesLeft?.(left);
    if (left === 1 && !req.confirmLastTry) {
      throw new AppError(
        'invalid',
        'カードの暗証番号はあと1回間違えるとロックされます（解除は市区町村の窓口のみ）。暗証番号に確かな覚えがある場合だけ、本人の確認を得てからやり直してください。',
      );
    }
    const outcome = await readCard(transmit, await req.pin(left));
    if (outcome.kind === 'locked') throw lockedError();
    if (outcome.kind === 'wrong_pin') {
      throw new AppError('unauthorized', `カードの暗証番号が違います。あと${outcome.left}回でロックされます。`);
    }
    return { card: outcome.card, reader: session.reader };
  } finally {
    await session.close();
  }
}

function lockedError(): AppError {
  return new AppError('locked', 'このカードの券面事項入力補助用暗証番号はロックされています。本人が市区町村の窓口で解除してから、カードで取得してください（書類での取得もできます）。');
}

/** What the handler is shown before confirming: never the number. */
export function cardReview(vault: Vault, personId: PersonId, read: CardAtAppliance): { match: CardMatch; signature: CardRead['signature']['result'] } {
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
  vault: Vault,
  actor: Actor,
  personId: PersonId,
  read: CardAtAppliance,
  input: { purposes: string[]; confirmedDifferences: boolean },
  client: string | null,
): void {
  const person = vault.persons.byId(personId) ?? raiseNotFound();
  if (person.corporateNumber) throw new AppError('invalid', '法人の支払先には個人番号を登録しません。');
  if (vault.persons.numberOf(person.id)?.state === 'held') throw new AppError('conflict', 'この人物の個人番号は登録済みです。訂正が必要な場合は管理者に相談してください。');
  const signature = read.card.signature;
  if (signature.result === 'invalid') {
    throw new AppError('invalid', 'カードのデータが署名と一致しません（偽造または破損のおそれ）。番号は登録していません。カードの券面と書類で確認してください。');
  }
  const match = compareCardWithRecord(read.card.basicFour, person);
  const errors: FieldErrors = {};
  const purposes = parsePurposes(person, input.purposes, errors);
  if (!match.acceptable) errors.card = 'カードの氏名または生年月日が登録内容と一致しません。別人のカードでないか確認してください（番号は登録していません）。';
  else if (!(match.name.same && match.birthDate === 'same') && !input.confirmedDifferences) errors.card = 'カードと登録内容の違いを確認して、チェックを入れてください。';
  const index = numberIndex(vault.keys.index, read.card.myNumber);
  const holder = vault.persons.personWithIndex(index);
  if (holder !== undefined && holder !== person.id) errors.card = 'この個人番号は別の人物に登録済みです。二重登録がないか確認してください。';
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const now = vault.clock.now();
  const at = now.toISOString();
  const subjects = [{ id: person.id, name: person.name }];
  writeTransaction(vault.db, () => {
    storeNumber(vault, person, { number: read.card.myNumber, index }, purposes, at);
    vault.audit.append({ actor, action: 'number.recorded', subjects, client, device: read.reader, detail: { purposes: purposes.join(','), by: 'card' } });
    vault.identityChecks.insert({
      personId: person.id,
      method: 'in_person',
      numberDocument: MY_NUMBER_CARD_IC,
      identityDocuments: [MY_NUMBER_CARD_IC],
      checkedOn: japanDate(now),
      checkerId: actor.id,
      note: `署名検証: ${SIGNATURE_LABEL[signature.result]}`,
      createdAt: at,
    });
    vault.audit.append({
      actor,
      action: 'identity.checked',
      subjects,
      client,
      device: read.reader,
      detail: {
        method: 'in_person',
        number_document: MY_NUMBER_CARD_IC,
        identity_documents: MY_NUMBER_CARD_IC,
        signature: signature.result,
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
