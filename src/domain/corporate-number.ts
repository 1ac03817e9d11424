import { AppError } from './errors.js';
import { firstNonDigit, normaliseDigits } from './digits.js';

/**
 * The check digit (the first of 13) for a 法人番号's last twelve digits
 * (財務省令第七十号 第2条): Pn is the n-th digit from the right, Qn is 1 for odd n
 * and 2 for even n; check = 9 − (Σ Pn×Qn mod 9).
 */
export function corporateNumberCheckDigit(base12: string): number {
  let sum = 0;
  for (let n = 1; n <= 12; n++) {
    const p = base12.charCodeAt(12 - n) - 48;
    sum += p * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9);
}

/** A 13-digit corporate number (法人番号). It is public, so it prints in full. */
export class CorporateNumber {
  private constructor(readonly digits: string) {}

  static tryParse(input: string): { ok: true; value: CorporateNumber } | { ok: false; message: string } {
    const s = normaliseDigits(input);
    if (s.length === 0) return { ok: false, message: '法人番号が入力されていません。13桁の数字を入力してください。' };
    if (firstNonDigit(s) !== undefined) {
      return { ok: false, message: '法人番号に数字以外の文字が含まれています。13桁の数字だけを入力してください。' };
    }
    if (s.length !== 13) {
      return { ok: false, message: `法人番号は13桁ですが、${s.length}桁入力されています。国税庁の法人番号公表サイト等で確認してください。` };
    }
    if (corporateNumberCheckDigit(s.slice(1)) !== s.charCodeAt(0) - 48) {
      return { ok: false, message: '法人番号のチェックデジット（1桁目）が一致しません。入力の誤りがないか確認してください。' };
    }
    return { ok: true, value: new CorporateNumber(s) };
  }

  static parse(input: string): CorporateNumber {
    const r = CorporateNumber.tryParse(input);
    if (!r.ok) throw new AppError('invalid', r.message);
    return r.value;
  }

  toString(): string {
    return this.digits;
  }
}
