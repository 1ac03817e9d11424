import { looksLikeNumber } from '../../domain/digits.js';

import { COLUMN_ALIASES as ALIASES, COLUMN_LABEL, type Column } from '../../domain/csv-columns.js';

/** CSV columns of the import file (docs/csv-format.md), Japanese or English header names. */
export { COLUMN_LABEL, type Column };

export type HeaderMap = { columns: (Column | undefined)[]; problems: string[] };

/** Maps a header row to columns; reports unknown, repeated and missing required columns. */
export function mapHeader(header: readonly string[]): HeaderMap {
  const problems: string[] = [];
  const seen = new Set<Column>();
  const columns = header.map((h) => {
    const key = h.normalize('NFKC').replace(/^\uFEFF/u, '').trim().toLowerCase().replace(/\s+/gu, '_');
    if (key === '') return undefined;
    const col = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
    if (col === undefined) {
      const message = `${unknownColumn(h)}列名は ${Object.values(COLUMN_LABEL).join('・')}（または英語名）にしてください。`;
      if (!problems.includes(message)) problems.push(message);
    } else if (seen.has(col)) {
      problems.push(`列「${COLUMN_LABEL[col]}」が2回あります。1つにしてください。`);
    }
    if (col) seen.add(col);
    return col;
  });
  for (const required of ['kind', 'name', 'my_number'] as const) {
    if (!seen.has(required)) problems.push(`必須の列「${COLUMN_LABEL[required]}」がありません。1行目に列名を入れてください。`);
  }
  return { columns, problems };
}

/**
 * Names an unknown header cell without ever echoing one that could be a number
 * (a file whose first row is data, not a header): such a cell, or any cell with
 * a run of digits, is described, not quoted.
 */
function unknownColumn(cell: string): string {
  const h = cell.trim();
  if (looksLikeNumber(h) || /\d{4}/u.test(h.normalize('NFKC'))) {
    return '見出し行に数字の並んだ列があります（内容は表示しません）。1行目が見出しではなくデータになっていないか確認してください。';
  }
  return `不明な列「${h}」があります。`;
}
