/**
 * Why a reading of a 個人番号カード at the appliance failed. Each failure is
 * audited ('card.read_failed', with the reader as the device and the person
 * whose intake it was) and appears in the 取扱状況記録 and the 入退室記録 beside
 * the other failed attempts at the appliance: the PPC guideline (事業者編)
 * 別添1 安全管理措置 ②組織的安全管理措置 b「取扱状況を確認する手段の整備」
 * asks for a record of the handling, and failures at the appliance are where
 * an attempt on someone else's card shows (docs/mynumber-card.md).
 *
 * The record never carries the number, the PIN or any card data: only the
 * reason and, for a wrong PIN, the tries the card says are left.
 */
export type CardReadFailure =
  /** VERIFY refused the PIN; the card counted one try. */
  | 'wrong_pin'
  /** The card's PIN is locked (only the 市区町村 can reset it). */
  | 'card_locked'
  /** One try left and the holder had not confirmed: nothing was sent. */
  | 'last_try_unconfirmed'
  /** The card left the reader (or the reader was pulled) during the reading. */
  | 'card_removed'
  /** The card has no 券面事項入力補助AP: not a 個人番号カード. */
  | 'not_mynumber_card'
  /** The card answered something the codec cannot use. */
  | 'card_error'
  /** The card's data failed its signature check (forged or damaged): refused. */
  | 'signature_invalid'
  /** The card's name or birth date does not match the record: refused. */
  | 'name_mismatch';

export const CARD_READ_FAILURE_LABEL: Record<CardReadFailure, string> = {
  wrong_pin: 'カードの暗証番号の誤り',
  card_locked: 'カードの暗証番号がロック済み',
  last_try_unconfirmed: '残り1回で本人の確認なし（照合せず）',
  card_removed: '読み取り中にカードが離れた',
  not_mynumber_card: '個人番号カードではない',
  card_error: 'カードの応答の異常',
  signature_invalid: '署名の不一致（偽造・破損のおそれ、登録せず）',
  name_mismatch: '氏名・生年月日の不一致（登録せず）',
};

export function cardReadFailureLabel(reason: unknown): string {
  return typeof reason === 'string' && Object.hasOwn(CARD_READ_FAILURE_LABEL, reason) ? CARD_READ_FAILURE_LABEL[reason as CardReadFailure] : typeof reason === 'string' ? reason : '';
}
