/**
 * Characters that make a text display as something else ("names that lie").
 *
 * Refused in every free-text field (person names, kana, reasons, user names,
 * notes, labels, settings):
 * - bidirectional controls: U+202A-202E (embeddings and overrides), U+2066-2069
 *   (isolates), U+200E/200F (marks), U+061C (Arabic letter mark). An override
 *   turns 「山田abc」 into a name that reads backwards on screen and in a PDF;
 * - every format character (Unicode category Cf): zero-width space/joiners
 *   U+200B-200D, U+2060 word joiner, U+FEFF, soft hyphen U+00AD, the tag
 *   characters U+E0000-E007F and the rest; they are invisible, so two names
 *   that look the same differ;
 * - fillers that render as nothing: Hangul fillers U+115F, U+1160, U+3164,
 *   U+FFA0 and the blank Braille pattern U+2800;
 * - C0/C1 controls and the line/paragraph separators U+2028/2029.
 * Variation selectors (U+FE00-FE0F, U+E0100-E01EF, category Mn) are NOT refused:
 * Japanese names use ideographic variation sequences for 異体字. A zero-width
 * joiner between two pictographs (an emoji sequence such as 👨‍👩‍👧) is allowed;
 * anywhere else it is refused.
 *
 * Normalisation (normaliseText): NFKC, which folds full-width Latin and digits
 * and half-width katakana to one spelling, except on CJK compatibility
 * ideographs (U+F900-FAFF, U+2F800-2FA1F), which NFKC would replace by the
 * unified form and so change the glyph a person's registered name is written
 * with (e.g. 神 U+FA19 to 神 U+795E); those are kept as written.
 *
 * One function decides for every field; callers name the field in the message.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800]/u;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
const EMOJI_ZWJ = /(\p{Extended_Pictographic}[\uFE0F\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;
const COMPAT_IDEOGRAPHS = /[\uF900-\uFAFF\u{2F800}-\u{2FA1F}]/u;
const NOT_COMPAT_RUNS = /[^\uF900-\uFAFF\u{2F800}-\u{2FA1F}]+/gu;

export type UnsafeCharacter = 'bidi' | 'invisible' | 'control';

/** The first kind of unsafe character in `value`, or null when the text displays as it is stored. */
export function findUnsafeCharacter(input: string): UnsafeCharacter | null {
  const value = input.replace(EMOJI_ZWJ, '$1');
  if (!UNSAFE.test(value)) return null;
  if (BIDI.test(value)) return 'bidi';
  return /[\p{Cc}\u2028\u2029]/u.test(value) ? 'control' : 'invisible';
}

/** A Japanese message naming the field, or null when `value` holds no unsafe character. */
export function unsafeTextProblem(fieldLabel: string, value: string): string | null {
  switch (findUnsafeCharacter(value)) {
    case null:
      return null;
    case 'bidi':
      return `${fieldLabel}に使えない文字（文字の向きを変える制御文字）が含まれています。右から左への上書きなどで表示と中身が食い違うため使えません。取り除いて入れ直してください。`;
    case 'invisible':
      return `${fieldLabel}に使えない文字（ゼロ幅スペースなどの目に見えない文字）が含まれています。別の文字列に見えてしまうため使えません。取り除いて入れ直してください。`;
    case 'control':
      return `${fieldLabel}に使えない文字（改行やタブなどの制御文字）が含まれています。取り除いてから入れてください。`;
  }
}

/** NFKC except on CJK compatibility ideographs (see above). */
export function normaliseText(value: string): string {
  if (!COMPAT_IDEOGRAPHS.test(value)) return value.normalize('NFKC');
  return value.replace(NOT_COMPAT_RUNS, (run) => run.normalize('NFKC'));
}

/** Drops spaces, tabs and line breaks at either end only, so an edge U+FEFF or U+2028 is still seen (String.prototype.trim drops them). */
export function edgeSpaceTrimmed(value: string): string {
  return value.replace(/^[ \t\r\n\u00A0\u3000]+|[ \t\r\n\u00A0\u3000]+$/gu, '');
}
