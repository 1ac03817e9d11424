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
