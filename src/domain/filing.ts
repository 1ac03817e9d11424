/**
 * Filing files: the 法定調書, 給与支払報告書 and 資格取得・喪失届 files that payroll and
 * 労務 software produce with the number fields left empty. A codec reads such a
 * file and says, for each row, who it is about and where, byte for byte, each
 * number belongs. It never writes: the merge fills the spans it names and
 * leaves every other byte of the file as it was.
 *
 * Codecs are pure (bytes in, a description out). A file whose layout the codec
 * cannot read with certainty is refused with a message naming the line and the
 * field, never guessed at.
 */
import type { ProvisionChannel, ProvisionDestination } from './provision.js';
import type { PurposeCode } from './purposes.js';

/** The filing kinds the appliance can fill. Each codec names exactly one. */
export type FilingKind =
  | 'nta_salary_slip' // 給与所得の源泉徴収票（法定調書・e-Tax/光ディスク等 CSV）
  | 'nta_retirement_slip' // 退職所得の源泉徴収票
  | 'nta_fees' // 報酬、料金、契約金及び賞金の支払調書
  | 'nta_real_estate' // 不動産の使用料等の支払調書
  | 'eltax_salary_report' // 給与支払報告書（個人別明細書）eLTAX
  | 'egov_acquisition' // 健康保険・厚生年金保険 被保険者資格取得届
  | 'egov_loss' // 健康保険・厚生年金保険 被保険者資格喪失届
  | 'appliance_csv'; // the appliance's own column format, for packages that import numbers

/** The published specification a codec follows. */
export interface FilingSpec {
  /** The document's title as its publisher names it. */
  readonly title: string;
  /** Edition, 年度 or version of the layout. */
  readonly edition: string;
  readonly publisher: string;
}

/**
 * Where one number goes: a half-open byte range [start, end) of the field's
 * content in the original file (inside the quotes when the field is quoted).
 * An empty field has start === end; a placeholder is the range it occupies.
 */
export interface NumberSpan {
  readonly start: number;
  readonly end: number;
  /** 12 for a 個人番号, 13 for a 法人番号. */
  readonly digits: 12 | 13;
}

/** A person named in the file beside the row's subject (配偶者, 扶養親族). */
export interface FilingDependant {
  /** 1-based line of the dependant's own record, where the file gives it one; else the subject's line applies. */
  readonly line?: number;
  readonly name: string;
  readonly kana?: string;
  /** ISO date (YYYY-MM-DD) where the file carries it. */
  readonly birthDate?: string;
  readonly span: NumberSpan;
}

/** One subject of the file: an employee, leaver, payee or insured person. */
export interface FilingRow {
  /** 1-based line (or record) number in the file, for messages. */
  readonly line: number;
  readonly employeeCode?: string;
  readonly name: string;
  readonly kana?: string;
  readonly birthDate?: string;
  /** A 法人 payee: the span takes the 13-digit 法人番号, not a 個人番号. */
  readonly corporate: boolean;
  /** The subject's own number field(s); usually one. */
  readonly spans: readonly NumberSpan[];
  readonly dependants: readonly FilingDependant[];
}

export interface ParsedFiling {
  readonly kind: FilingKind;
  /** The year the file is for (支払年, 対象年), when the file says. */
  readonly year?: number;
  readonly encoding: 'shift_jis' | 'utf8';
  readonly rows: readonly FilingRow[];
}

export interface FilingCodec {
  readonly kind: FilingKind;
  /** The kind's name as an HR person knows it. */
  readonly label: string;
  readonly spec: FilingSpec;
  /** The 利用目的 the numbers are used for; the merge's request carries it. */
  readonly purpose: PurposeCode;
  readonly destination: ProvisionDestination;
  readonly channel: ProvisionChannel;
  /** Reads the file; throws AppError('invalid', …) naming the line and field when it cannot. */
  parse(bytes: Buffer): ParsedFiling;
}

/**
 * Writes the numbers into the spans and nothing else. Spans must not overlap;
 * each value is ASCII digits of the span's width. The result is a new buffer;
 * the caller zeroes it after handing it over.
 */
export function fillSpans(bytes: Buffer, fills: readonly { span: NumberSpan; value: Buffer }[]): Buffer {
  const sorted = [...fills].sort((a, b) => a.span.start - b.span.start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const { span, value } of sorted) {
    if (span.start < at || span.end < span.start || span.end > bytes.length) throw new RangeError('number spans overlap or fall outside the file');
    if (value.length !== span.digits) throw new RangeError('a value does not have its span’s width');
    parts.push(bytes.subarray(at, span.start), value);
    at = span.end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}
