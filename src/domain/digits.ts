/**
 * The one normaliser for identification numbers, shared by the parser
 * (MyNumber.tryParse, 法人番号) and the free-text guard (looksLikeNumber): what
 * the parser accepts as a separator between digits, the guard treats as one
 * too, so any form the parser would accept is refused in free text.
 *
 * Separators: white space of every kind (after NFKC, so U+3000 too), hyphens,
 * dashes, minus signs, the prolonged sound mark, underscore, and invisible
 * characters (Unicode Default_Ignorable_Code_Point: zero-width space, joiners,
 * word joiner, BOM, soft hyphen, variation selectors, Hangul fillers ...),
 * which a number pasted from a PDF or a chat can carry between its digits.
 */
const SEPARATOR_CLASS = String.raw`\s\-‐‑‒–—―−ー－_\p{Default_Ignorable_Code_Point}`;
const SEPARATORS = new RegExp(`[${SEPARATOR_CLASS}]`, 'gu');

/**
 * Normalises what a person typed for an identification number: NFKC folds
 * full-width digits and spaces, then every separator above is dropped.
 * Returns the remaining string, which may still hold non-digits.
 */
export function normaliseDigits(input: string): string {
  return input.normalize('NFKC').replace(SEPARATORS, '');
}

/** The first character that is not an ASCII digit, or undefined. */
export function firstNonDigit(s: string): string | undefined {
  const m = /[^0-9]/u.exec(s);
  return m?.[0];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/giu;
const HEX_DIGEST = /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/giu;
// A dotted IPv4 address (each part 0-255), as the audit trail records a client; taken out before the check.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d.])`, 'gu');
// In free text the guard also takes one dot or middle dot as a separator (stricter than the parser);
// two in a row ("2026-04-01..2026-04-30", a period) separate two things, not digit groups.
const GUARD_SEPARATORS = `(?:[${SEPARATOR_CLASS}]+|[${SEPARATOR_CLASS}]*[.・][${SEPARATOR_CLASS}]*)`;
const DIGIT_RUN = new RegExp(`\\d+(?:${GUARD_SEPARATORS}\\d+)*`, 'gu');
const GROUP_SPLIT = new RegExp(GUARD_SEPARATORS, 'u');

/**
 * True when a text holds a run that could be a My Number (ids, digests and
 * IPv4 addresses aside): any consecutive groups of digits, joined by the
 * separators above, that make exactly twelve digits — `123456789018`,
 * `1234 5678 9018`, `30 00 00 00 00 12`, `300000-000012`, `1234.5678.9018`,
 * digits with zero-width characters between them, or twelve of the digits in
 * a longer grouped run. Free-text fields and the audit trail refuse such text,
 * so a number typed into the wrong place is never stored or echoed. A single
 * unbroken run of other than 12 digits (a 13-digit 法人番号) is not flagged.
 */
export function looksLikeNumber(text: string): boolean {
  const normal = text.normalize('NFKC');
  // Most text (a name, kana) has no digit at all: nothing below can match then.
  if (!/\d/u.test(normal)) return false;
  const s = normal.replace(UUID, '#').replace(HEX_DIGEST, '#').replace(IPV4, '#');
  for (const m of s.matchAll(DIGIT_RUN)) {
    const lengths = m[0].split(GROUP_SPLIT).map((g) => g.length);
    for (let i = 0; i < lengths.length; i++) {
      let sum = 0;
      for (let j = i; j < lengths.length && sum < 12; j++) {
        sum += lengths[j]!;
        if (sum === 12) return true;
      }
    }
  }
  return false;
}
