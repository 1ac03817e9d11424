/**
 * Compares what a 個人番号カード's chip says (氏名, 生年月日) with the person's
 * record, so a handler sees why they differ before a number is taken. Pure.
 *
 * The chip holds the name as on the 住民票: a 旧姓 (former surname) may be
 * written beside it in brackets (and the record may hold either surname: an
 * employee may work under the 旧姓), characters outside JIS X 0208 (外字) may be
 * replaced by a substitute (〓 or a private-use character), and spacing differs
 * between systems. None of these means another person, but each is shown; any
 * other difference, or another birth date, is a mismatch the handler must
 * resolve (番号法16条: the check is of this person's identity).
 */

export type NameDifference =
  /** Same letters; only spaces (full- or half-width) differ. */
  | 'spacing'
  /** The card carries a 旧姓 in brackets beside the name; without it the names agree. */
  | 'former_surname'
  /** The card holds a substitute for a 外字 where the record has a character. */
  | 'gaiji'
  /** The names differ otherwise. */
  | 'different';

export interface CardMatch {
  name: { same: true } | { same: false; difference: NameDifference };
  birthDate: 'same' | 'different' | 'not_on_record';
  /** True when nothing forbids taking the number (the handler still confirms). */
  acceptable: boolean;
}

const SPACES = /[\s\u3000]+/gu;
const FORMER_SURNAME = /[（(［\[【][^）)］\]】]*[）)］\]】]/gu;
/** 現姓［旧姓］ 名: the current surname, the 旧姓 in brackets, the rest of the name. */
const FORMER_AS_SURNAME = /^([^（(［[【]*)[（(［[【]([^）)］\]】]+)[）)］\]】](.*)$/u;
const GAIJI_SUBSTITUTE = /[\u3013\uE000-\uF8FF]/u;

export function compareCardWithRecord(card: { name: string; birthDate: string }, record: { name: string; birthDate: string | null }): CardMatch {
  const name = compareNames(card.name, record.name);
  const birthDate = record.birthDate === null ? 'not_on_record' : record.birthDate === card.birthDate ? 'same' : 'different';
  const acceptable = birthDate !== 'different' && (name.same || name.difference !== 'different');
  return { name, birthDate, acceptable };
}

export function compareNames(cardName: string, recordName: string): CardMatch['name'] {
  const c = cardName.normalize('NFKC');
  const r = recordName.normalize('NFKC');
  if (c === r) return { same: true };
  const bare = (s: string) => s.replace(SPACES, '');
  if (bare(c) === bare(r)) return { same: false, difference: 'spacing' };
  const withoutFormer = bare(c.replace(FORMER_SURNAME, ''));
  if (withoutFormer !== bare(c) && withoutFormer === bare(r.replace(FORMER_SURNAME, ''))) return { same: false, difference: 'former_surname' };
  // A record kept under the 旧姓 (旧姓の使用 at work): the bracketed surname in place of the current one.
  const former = FORMER_AS_SURNAME.exec(c);
  if (former && bare(`${former[2]}${former[3]}`) === bare(r)) return { same: false, difference: 'former_surname' };
  if (GAIJI_SUBSTITUTE.test(c) && sameBesideSubstitutes(bare(c), bare(r))) return { same: false, difference: 'gaiji' };
  return { same: false, difference: 'different' };
}

/** Same length and equal wherever the card does not hold a substitute. */
function sameBesideSubstitutes(card: string, record: string): boolean {
  const a = [...card];
  const b = [...record];
  return a.length === b.length && a.every((ch, i) => GAIJI_SUBSTITUTE.test(ch) || ch === b[i]);
}
