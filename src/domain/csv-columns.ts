/**
 * The columns of the appliance's CSV format (docs/csv-format.md): the header
 * names each column is known by (Japanese or English) and the one label it is
 * named by in messages. The import reads every column; a filing file of this
 * format (filing-appliance-csv.ts) reads the ones it needs.
 */
export type Column =
  'kind' | 'code' | 'name' | 'kana' | 'birth_date' | 'my_number' | 'relationship' | 'supporter_code' | 'corporate_number' | 'refusal_reason' | 'retired_on' | 'purposes' | 'last_paid_on';

/** Header name (as written, or lower-cased with spaces as `_`) → column. Look up with `Object.hasOwn`. */
export const COLUMN_ALIASES: Readonly<Record<string, Column>> = {
  種別: 'kind',
  区分: 'kind',
  kind: 'kind',
  社員番号: 'code',
  従業員番号: 'code',
  取引先コード: 'code',
  employee_code: 'code',
  code: 'code',
  氏名: 'name',
  名前: 'name',
  name: 'name',
  フリガナ: 'kana',
  ふりがな: 'kana',
  カナ: 'kana',
  kana: 'kana',
  生年月日: 'birth_date',
  birth_date: 'birth_date',
  birthdate: 'birth_date',
  個人番号: 'my_number',
  マイナンバー: 'my_number',
  my_number: 'my_number',
  mynumber: 'my_number',
  続柄: 'relationship',
  relationship: 'relationship',
  扶養元社員番号: 'supporter_code',
  supporter_code: 'supporter_code',
  法人番号: 'corporate_number',
  corporate_number: 'corporate_number',
  未提供理由: 'refusal_reason',
  refusal_reason: 'refusal_reason',
  退職日: 'retired_on',
  retired_on: 'retired_on',
  retirement_date: 'retired_on',
  取引終了日: 'retired_on',
  利用目的: 'purposes',
  通知した利用目的: 'purposes',
  purposes: 'purposes',
  最終支払日: 'last_paid_on',
  last_paid_on: 'last_paid_on',
  final_payment_date: 'last_paid_on',
};

/** The name a column is called by in messages (the first Japanese header name of each). */
export const COLUMN_LABEL: Readonly<Record<Column, string>> = {
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
