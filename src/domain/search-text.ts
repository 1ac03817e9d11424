/**
 * How the register matches what a person types against names, kana and codes.
 *
 * Both sides go through `searchKey`: NFKC (full-width ASCII and half-width kana
 * fold to their usual forms), hiragana to katakana (さとう finds サトウ), ASCII
 * upper case (codes), and no white space (「佐藤 花子」 and 「佐藤花子」 are one
 * name). A query matches a name or kana that contains it, and a code that starts
 * with it.
 *
 * The index holds grams of the keys: every pair of adjacent characters of the
 * name and the kana (two-kanji surnames are the common query). A query of two
 * or more characters is answered from its rarest pair, then checked against the
 * whole key. Each key is closed by KEY_END, so every one of its characters
 * starts a gram: a one-character query (林, 子) reads the grams that start with
 * it and merges their rows in register order (see storage/register-query.ts).
 */

const HIRAGANA = /[\u3041-\u3096\u309D\u309E]/gu;
const SPACE = /[\s\u3000]+/gu;
/** Separates the fields inside search_text, so a query never matches across two. */
export const FIELD_SEPARATOR = '\u0001';

export function searchKey(input: string): string {
  return input
    .normalize('NFKC')
    .replace(SPACE, '')
    .replace(HIRAGANA, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[a-z]+/gu, (s) => s.toUpperCase());
}

/** The characters of a key as the user sees them (surrogate pairs kept whole). */
function chars(key: string): string[] {
  return [...key];
}

function pairs(key: string): string[] {
  const c = chars(key);
  const out: string[] = [];
  for (let i = 0; i + 1 < c.length; i++) out.push(c[i]! + c[i + 1]!);
  return out;
}

/** Closes a key: its last character paired with this, so every character of a key starts some gram. */
export const KEY_END = '\u0003';

/** The grams a person is found by: pairs of the name and of the kana, each closed by KEY_END; each once. */
export function personGrams(name: string, kana: string | null): string[] {
  return gramsOfKeys(searchKey(name), kana ? searchKey(kana) : '');
}

function gramsOfKeys(nameKey: string, kanaKey: string): string[] {
  const closed = (key: string) => (key === '' ? [] : pairs(key + KEY_END));
  return [...new Set([...closed(nameKey), ...closed(kanaKey)])];
}

/** searchText and personGrams of a person together, each key folded once (a bulk import does this per row). */
export function searchIndexOf(name: string, kana: string | null): { text: string; grams: string[] } {
  const nameKey = searchKey(name);
  const kanaKey = kana ? searchKey(kana) : '';
  return { text: nameKey + FIELD_SEPARATOR + kanaKey, grams: gramsOfKeys(nameKey, kanaKey) };
}

/** What a query matches against: the name and kana keys, kept apart. */
export function searchText(name: string, kana: string | null): string {
  return [searchKey(name), kana ? searchKey(kana) : ''].join(FIELD_SEPARATOR);
}

/** The grams that can find a query: its pairs; empty for a query of fewer than two characters. */
export function queryGrams(key: string): string[] {
  return [...new Set(pairs(key))];
}

/** A query that could be a code prefix: letters, digits, hyphen and underscore. */
export function codeLike(key: string): boolean {
  return /^[A-Z0-9_-]+$/u.test(key);
}
