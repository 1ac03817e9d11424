/**
 * Normalises what a person typed for an identification number: NFKC folds
 * full-width digits and spaces, then spaces and every hyphen-like mark are
 * dropped. Returns the remaining string, which may still hold non-digits.
 */
export function normaliseDigits(input: string): string {
  return input.normalize('NFKC').replace(/[\s\-‐‑‒–—―−ー－_]/gu, '');
}

/** The first character that is not an ASCII digit, or undefined. */
export function firstNonDigit(s: string): string | undefined {
  const m = /[^0-9]/u.exec(s);
  return m?.[0];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/giu;
const HEX_DIGEST = /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/giu;
// The separators MyNumber.parse accepts, one or more between digit groups.
const SEP = '[\\s\\-‐‑‒–—―−ー－_]+';
const TWELVE = new RegExp(`(?<!\\d)(?:\\d{12}|\\d{4}${SEP}\\d{4}${SEP}\\d{4}|\\d{3}${SEP}\\d{3}${SEP}\\d{3}${SEP}\\d{3})(?!\\d)`, 'u');

/**
 * True when a text holds a run that could be a My Number (ids and digests
 * aside). Free-text fields and the audit trail refuse such text, so a number
 * typed into the wrong place is never stored or echoed.
 */
export function looksLikeNumber(text: string): boolean {
  return TWELVE.test(text.normalize('NFKC').replace(UUID, '').replace(HEX_DIGEST, ''));
}
