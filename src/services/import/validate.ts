import { CorporateNumber } from '../../domain/corporate-number.js';
import { numberCollectionRefusal } from '../../domain/number-eligibility.js';
import { parseDate } from '../../domain/dates.js';
import { MyNumber } from '../../domain/my-number.js';
import {
  normaliseCode,
  normaliseKana,
  normaliseName,
  parsePersonKind,
  parseRelationship,
  PERSON_KIND_LABEL,
  type PersonKind,
} from '../../domain/persons.js';
import { PURPOSES } from '../../domain/purposes.js';
import { COLUMN_LABEL, type Column } from './columns.js';
import { looksLikeNumber } from '../../domain/digits.js';
import { unguardSpreadsheetCell } from '../../domain/spreadsheet-cell.js';
import { edgeSpaceTrimmed, unsafeTextProblem } from '../../domain/text-safety.js';

/** One row of the file after its own checks; cross-row checks come later. */
export interface PersonDraft {
  line: number;
  kind: PersonKind;
  code: string | null;
  name: string;
  kana: string | null;
  birthDate: string | null;
  relationship: string | null;
  supporterCode: string | null;
  corporateNumber: string | null;
  /** The purposes the 利用目的 column says were notified (codes); null when the file has no such column. */
  purposes: string[] | null;
  retiredOn: string | null;
  /** 最終支払日 after 退職 / 取引終了; retention counts from the later date. */
  lastPaidOn: string | null;
  number: MyNumber | null;
  refusalReason: string | null;
}

export type RowResult = { ok: true; draft: PersonDraft } | { ok: false; problems: string[] };

export interface FieldProblem {
  field: Column;
  message: string;
}

/** Checks one CSV row on its own. Messages are Japanese and never contain the number. */
export function validateRow(cells: readonly string[], columns: readonly (Column | undefined)[], line: number, today: string): RowResult {
  const v: Partial<Record<Column, string>> = {};
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    const cell = cells[i];
    // The export guards formula-like cells with a leading quote; take it off so the export reads back.
    if (c !== undefined && cell !== undefined) v[c] = unguardSpreadsheetCell(cell);
  }
  const r = validatePersonFields(v, line, today);
  return r.ok ? r : { ok: false, problems: r.problems.map((p) => p.message) };
}

/**
 * The checks of one person's fields, shared by the CSV import and the register
 * forms; each problem names its field so a form can show it beside the input.
 */
export function validatePersonFields(
  raw: Partial<Record<Column, string>>,
  line: number,
  today: string,
  opts: { numberRequired: boolean } = { numberRequired: true },
): { ok: true; draft: PersonDraft } | { ok: false; problems: FieldProblem[] } {
  const v: Partial<Record<Column, string>> = {};
  const unsafe = new Map<Column, string>();
  for (const [k, value] of Object.entries(raw) as [Column, string | undefined][]) {
    if (value === undefined) continue;
    // Checked before trim(), which would silently drop a U+FEFF or U+2028 at either end.
    const problem = unsafeTextProblem(COLUMN_LABEL[k], edgeSpaceTrimmed(value));
    if (problem !== null) unsafe.set(k, problem);
    const t = value.trim();
    if (t) v[k] = t;
  }
  const problems: FieldProblem[] = [];
  const rejected = new Set<Column>();
  const bad = (field: Column, message: string) => {
    if (!rejected.has(field)) problems.push({ field, message });
  };
  for (const [k, value] of Object.entries(v) as [Column, string][]) {
    if (k !== 'my_number' && looksLikeNumber(value)) {
      // Never echo it: a number typed into the wrong column must not reach a message.
      bad(k, `${COLUMN_LABEL[k]}に個人番号のような12桁の数字が入っています。個人番号は「個人番号」の欄にだけ入れてください。`);
      rejected.add(k);
      delete v[k];
    } else if (unsafe.has(k)) {
      bad(k, unsafe.get(k)!);
      rejected.add(k);
      delete v[k];
    } else if (value.length > 500) {
      bad(k, `${COLUMN_LABEL[k]}が長すぎます（500文字まで）。`);
      rejected.add(k);
      delete v[k];
    }
  }

  const kind = v.kind === undefined ? undefined : parsePersonKind(v.kind);
  if (v.kind === undefined) bad('kind', '種別が空です。従業員・扶養親族・支払先（employee / dependent / payee）のいずれかを入れてください。');
  else if (kind === undefined) bad('kind', `種別「${v.kind}」は使えません。従業員・扶養親族・支払先（employee / dependent / payee）のいずれかにしてください。`);

  const name = v.name === undefined ? '' : normaliseName(v.name);
  if (name === '') bad('name', '氏名が空です。氏名を入れてください。');
  else if (name.length > 100) bad('name', '氏名が長すぎます（100文字まで）。');

  let kana: string | null = null;
  if (v.kana !== undefined) {
    kana = normaliseKana(v.kana) ?? null;
    if (kana === null) bad('kana', 'フリガナはカタカナ（またはひらがな）で入れてください。');
    else if (kana.length > 100) bad('kana', 'フリガナが長すぎます（100文字まで）。');
  }

  let birthDate: string | null = null;
  if (v.birth_date !== undefined) {
    birthDate = parseDate(v.birth_date) ?? null;
    if (birthDate === null) bad('birth_date', `生年月日「${v.birth_date}」は日付として読めません。1990-04-01 や 平成2年4月1日 の形で入れてください。`);
    else if (birthDate > today) bad('birth_date', '生年月日が未来の日付です。');
  }

  let retiredOn: string | null = null;
  if (v.retired_on !== undefined) {
    retiredOn = parseDate(v.retired_on) ?? null;
    if (retiredOn === null) bad('retired_on', `退職日「${v.retired_on}」は日付として読めません。2024-03-31 の形で入れてください。`);
  }

  let lastPaidOn: string | null = null;
  if (v.last_paid_on !== undefined) {
    lastPaidOn = parseDate(v.last_paid_on) ?? null;
    if (lastPaidOn === null) bad('last_paid_on', `最終支払日「${v.last_paid_on}」は日付として読めません。2025-01-25 の形で入れてください。`);
    else if (retiredOn === null) bad('last_paid_on', '最終支払日は退職日（取引終了日）のある行にだけ入れてください。');
    else if (lastPaidOn < retiredOn) bad('last_paid_on', '最終支払日が退職日（取引終了日）より前です。退職後の最後の支払いの日を入れてください。');
  }

  let code: string | null = null;
  if (v.code !== undefined) {
    code = normaliseCode(v.code) ?? null;
    if (code === null) bad('code', '社員番号（取引先コード）は英数字・ハイフン・アンダースコアの32文字以内にしてください。');
  }

  let supporterCode: string | null = null;
  let relationship: string | null = null;
  if (kind === 'dependant') {
    // Files often carry the supporter's 社員番号 in the code column of a dependant's row.
    const raw = v.supporter_code ?? v.code;
    supporterCode = raw === undefined ? null : (normaliseCode(raw) ?? null);
    code = null;
    if (supporterCode === null) bad('supporter_code', '扶養親族の行には扶養元社員番号（扶養する従業員の社員番号）を入れてください。');
    if (v.relationship === undefined) bad('relationship', '扶養親族の行には続柄（配偶者・子・父・母など）を入れてください。');
    else {
      relationship = parseRelationship(v.relationship) ?? null;
      if (relationship === null) bad('relationship', `続柄「${v.relationship}」は使えません。配偶者・子・父・母・祖父・祖母・孫・兄弟姉妹・その他のいずれかにしてください。`);
    }
  } else if (kind !== undefined) {
    if (v.supporter_code !== undefined) bad('supporter_code', '扶養元社員番号は扶養親族の行にだけ入れてください。');
    if (code === null && v.code === undefined) {
      bad('code', kind === 'employee' ? '従業員の行には社員番号を入れてください。' : '支払先の行には取引先コードを社員番号の列に入れてください。');
    }
  }

  let corporateNumber: string | null = null;
  if (v.corporate_number !== undefined) {
    if (kind !== 'payee') bad('corporate_number', '法人番号は法人の支払先の行にだけ入れてください。');
    const r = CorporateNumber.tryParse(v.corporate_number);
    if (r.ok) corporateNumber = r.value.digits;
    else bad('corporate_number', r.message);
  }

  let number: MyNumber | null = null;
  const refusalReason = v.refusal_reason === undefined ? null : normaliseName(v.refusal_reason);
  if (refusalReason !== null && refusalReason.length > 200) bad('refusal_reason', '未提供理由が長すぎます（200文字まで）。');
  if (v.my_number !== undefined) {
    const r = MyNumber.tryParse(v.my_number);
    if (r.ok) number = r.value;
    else bad('my_number', r.message);
    if (refusalReason !== null) bad('my_number', '個人番号と未提供理由の両方が入っています。どちらか一方にしてください。');
    if (corporateNumber !== null) bad('my_number', `個人番号と法人番号の両方が入っています。${numberCollectionRefusal({ corporateNumber })}`);
  } else if (refusalReason !== null && corporateNumber !== null) {
    bad('refusal_reason', `法人番号のある行に未提供理由が入っています。${numberCollectionRefusal({ corporateNumber })}`);
  } else if (opts.numberRequired && refusalReason === null && corporateNumber === null) {
    bad('my_number', 
      kind === 'payee'
        ? '個人番号が空です。個人の支払先は個人番号、法人は法人番号を入れるか、提供を受けられない場合は未提供理由を入れてください。'
        : '個人番号が空です。番号を入れるか、提供を受けられない場合は未提供理由を入れてください。',
    );
  }

  let purposes: string[] | null = null;
  if (v.purposes !== undefined && kind !== undefined) {
    const r = parsePurposeCell(v.purposes, kind);
    if (typeof r === 'string') bad('purposes', r);
    else purposes = r;
  }

  if (problems.length > 0 || kind === undefined) return { ok: false, problems };
  return {
    ok: true,
    draft: { line, kind, code, name, kana, birthDate, relationship, supporterCode, corporateNumber, retiredOn, lastPaidOn, number, refusalReason, purposes },
  };
}

/**
 * A 利用目的 cell: purpose codes or their names (源泉徴収票作成事務), separated by
 * 「;」「、」「|」 or spaces. Each must concern the row's kind. The answer is
 * the codes, or a message.
 */
function parsePurposeCell(cell: string, kind: PersonKind): string[] | string {
  const parts = cell.normalize('NFKC').split(/[;、|\s]+/u).map((x) => x.trim()).filter((x) => x !== '');
  const codes: string[] = [];
  for (const part of parts) {
    const p = PURPOSES.find((x) => x.code === part || x.name === part);
    if (!p) return '利用目的に一覧にない値があります。利用目的のコードまたは事務の名前（例: 源泉徴収票作成事務）を「;」で区切って入れてください。';
    if (!(p.appliesTo as readonly string[]).includes(kind)) return `利用目的「${p.name}」はこの種別（${PERSON_KIND_LABEL[kind]}）には使えません。`;
    if (!codes.includes(p.code)) codes.push(p.code);
  }
  return codes;
}
