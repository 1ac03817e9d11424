import { looksLikeNumber } from '../../domain/digits.js';

/** CSV columns of the import file (docs/csv-format.md), Japanese or English header names. */
export type Column =
  | 'kind'
  | 'code'
  | 'name'
  | 'kana'
  | 'birth_date'
  | 'my_number'
  | 'relationship'
  | 'supporter_code'
  | 'corporate_number'
  | 'refusal_reason'
  | 'retired_on'
  | 'purposes'
  | 'last_paid_on';

const ALIASES: Record<string, Column> = {
  種別: 'kind', 区分: 'kind', kind: 'kind',
  社員番号: 'code', 従業員番号: 'code', 取引先コード: 'code', employee_code: 'code', code: 'code',
  氏名: 'name', 名前: 'name', name: 'name',
  フリガナ: 'kana', ふりがな: 'kana', カナ: 'kana', kana: 'kana',
  生年月日: 'birth_date', birth_date: 'birth_date', birthdate: 'birth_date',
  個人番号: 'my_number', マイナンバー: 'my_number', my_number: 'my_number', mynumber: 'my_number',
  続柄: 'relationship', relationship: 'relationship',
  扶養元社員番号: 'supporter_code', supporter_code: 'supporter_code',
  法人番号: 'corporate_number', corporate_number: 'corporate_number',
  未提供理由: 'refusal_reason', refusal_reason: 'refusal_reason',
  退職日: 'retired_on', retired_on: 'retired_on', retirement_date: 'retired_on', 取引終了日: 'retired_on',
  利用目的: 'purposes', 通知した利用目的: 'purposes', purposes: 'purposes',
  最終支払日: 'last_paid_on', last_paid_on: 'last_paid_on', final_payment_date: 'last_paid_on',
};

export const COLUMN_LABEL: Record<Column, string> = {
  kind: '種別',
  code: '社員番号',
  name: '氏名',
  kana: 'フリガナ',
  birth_date: '生年月日',
  my_number: '個人番号',
  relationship: '続柄',
  supporter_code: '扶養元社員番号',
  corporate_number: '法人番号',
  refusal_reason: '未提供理由',
  retired_on: '退職日',
  purposes: '利用目的',
  last_paid_on: '最終支払日',
};

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
