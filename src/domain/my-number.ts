import { inspect } from 'node:util';
import { AppError } from './errors.js';
import { firstNonDigit, normaliseDigits } from './digits.js';

/** Why an input is not a My Number (個人番号). */
export type MyNumberProblem = 'empty' | 'not_digits' | 'wrong_length' | 'check_digit';

export type MyNumberParse =
  | { ok: true; value: MyNumber }
  | { ok: false; problem: MyNumberProblem; message: string };

const WEIGHTS = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;
const MASK = '************';

/**
 * The check digit for the first eleven digits (総務省令第八十五号 第5条):
 * weights 6,5,4,3,2,7,6,5,4,3,2 from the left; r = sum mod 11; 0 when r ≤ 1, else 11 − r.
 */
export function myNumberCheckDigit(first11: string): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum += (first11.charCodeAt(i) - 48) * WEIGHTS[i]!;
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/**
 * A validated 12-digit My Number. Its string, JSON and inspect forms are masked;
 * the digits come out only through `expose()`, which the vault calls to seal.
 */
export class MyNumber {
  readonly #digits: string;

  private constructor(digits: string) {
    this.#digits = digits;
  }

  /** Accepts full-width digits, spaces and hyphens. Never echoes the input in a message. */
  static tryParse(input: string): MyNumberParse {
    const s = normaliseDigits(input);
    if (s.length === 0) {
      return { ok: false, problem: 'empty', message: '個人番号が入力されていません。12桁の数字を入力してください。' };
    }
    const bad = firstNonDigit(s);
    if (bad !== undefined) {
      const shown = /\p{Nd}/u.test(bad) ? '' : `（「${bad}」）`;
      return {
        ok: false,
        problem: 'not_digits',
        message: `個人番号に数字以外の文字${shown}が含まれています。12桁の数字だけを入力してください。`,
      };
    }
    if (s.length !== 12) {
      return {
        ok: false,
        problem: 'wrong_length',
        message: `個人番号は12桁ですが、${s.length}桁入力されています。桁の不足や余分な数字がないか、番号確認書類と照らし合わせてください。`,
      };
    }
    if (myNumberCheckDigit(s) !== s.charCodeAt(11) - 48) {
      return {
        ok: false,
        problem: 'check_digit',
        message: '個人番号のチェックデジット（12桁目）が一致しません。入力の誤りがないか、番号確認書類と照らし合わせてください。',
      };
    }
    return { ok: true, value: new MyNumber(s) };
  }

  /** Throws AppError('invalid') with the reason in Japanese. */
  static parse(input: string): MyNumber {
    const r = MyNumber.tryParse(input);
    if (!r.ok) throw new AppError('invalid', r.message);
    return r.value;
  }

  /** The twelve ASCII digits. Only the vault should call this. */
  expose(): string {
    return this.#digits;
  }

  /** Grouped for display after a reveal: 1234 5678 9018. */
  formatGrouped(): string {
    return `${this.#digits.slice(0, 4)} ${this.#digits.slice(4, 8)} ${this.#digits.slice(8)}`;
  }

  /**
   * A warning for a number that passes the check digit but is surely a
   * placeholder, not one issued to a person: 000000000000 (its check digit is 0).
   * It is not refused (the 省令 does not exclude it), but the handler is told.
   */
  placeholderWarning(): string | undefined {
    return /^0{12}$/u.test(this.#digits)
      ? '個人番号がすべて0の番号になっています。仮の番号や入力の誤りではないか、番号確認書類と照らし合わせてください。'
      : undefined;
  }

  equals(other: MyNumber): boolean {
    return this.#digits === other.#digits;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `MyNumber(${MASK})`;
  }
}
