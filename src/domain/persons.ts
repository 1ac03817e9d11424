/** Persons whose numbers the company holds: 従業員, 扶養親族, 支払先 (支払調書). */

import { normaliseText } from './text-safety.js';

export type PersonKind = 'employee' | 'dependant' | 'payee';
export type PersonStatus = 'active' | 'retired';

export const PERSON_KIND_LABEL: Record<PersonKind, string> = {
  employee: '従業員',
  dependant: '扶養親族',
  payee: '支払先',
};

export const PERSON_STATUS_LABEL: Record<PersonStatus, string> = { active: '在職', retired: '退職' };

/**
 * The status words for each kind: 在職／退職 are an employee's; a payee is
 * 取引中／取引終了, a dependant 扶養中／扶養終了 (異動 or the supporter's 退職).
 */
export const STATUS_LABEL_BY_KIND: Record<PersonKind, Record<PersonStatus, string>> = {
  employee: PERSON_STATUS_LABEL,
  payee: { active: '取引中', retired: '取引終了' },
  dependant: { active: '扶養中', retired: '扶養終了' },
};

/** A person's status in words; a dependant counts as ended once an 異動 date is recorded. */
export function statusLabel(kind: PersonKind, status: PersonStatus, dependantEnded = false): string {
  return STATUS_LABEL_BY_KIND[kind][kind === 'dependant' && dependantEnded ? 'retired' : status];
}

/** The vault's own id for a person; also bound into the sealed number's associated data. */
export type PersonId = number;

export interface Person {
  id: PersonId;
  kind: PersonKind;
  /** 社員番号 for employees, 取引先コード for payees; none for dependants. */
  code: string | null;
  name: string;
  kana: string | null;
  birthDate: string | null;
  /** 続柄 of a dependant to the supporting employee. */
  relationship: string | null;
  supporterId: PersonId | null;
  /** 法人番号, for payees that are companies (they have no My Number). */
  corporateNumber: string | null;
  status: PersonStatus;
  retiredOn: string | null;
}

/** What a number record of a person can be: sealed and held, refused with a reason, or destroyed. */
export type NumberState = 'held' | 'not_provided' | 'disposed';

export const NUMBER_STATE_LABEL: Record<NumberState, string> = {
  held: '登録済',
  not_provided: '未提供',
  disposed: '廃棄済',
};

const KIND_ALIASES: Record<string, PersonKind> = {
  employee: 'employee',
  従業員: 'employee',
  社員: 'employee',
  本人: 'employee',
  dependant: 'dependant',
  dependent: 'dependant',
  扶養親族: 'dependant',
  被扶養者: 'dependant',
  扶養: 'dependant',
  家族: 'dependant',
  payee: 'payee',
  支払先: 'payee',
  取引先: 'payee',
  支払調書: 'payee',
};

export function parsePersonKind(input: string): PersonKind | undefined {
  const s = input.normalize('NFKC').trim().toLowerCase();
  return Object.hasOwn(KIND_ALIASES, s) ? KIND_ALIASES[s] : undefined;
}

/** 続柄 accepted for dependants (English aliases map to the Japanese term stored). */
const RELATIONSHIPS: Record<string, string> = {
  配偶者: '配偶者', 夫: '配偶者', 妻: '配偶者', spouse: '配偶者', husband: '配偶者', wife: '配偶者',
  子: '子', 長男: '子', 長女: '子', 次男: '子', 次女: '子', 三男: '子', 三女: '子', child: '子', son: '子', daughter: '子',
  父: '父', father: '父', 母: '母', mother: '母',
  祖父: '祖父', grandfather: '祖父', 祖母: '祖母', grandmother: '祖母',
  孫: '孫', grandchild: '孫',
  兄: '兄弟姉妹', 弟: '兄弟姉妹', 姉: '兄弟姉妹', 妹: '兄弟姉妹', 兄弟姉妹: '兄弟姉妹', sibling: '兄弟姉妹', brother: '兄弟姉妹', sister: '兄弟姉妹',
  義父: '義父', 義母: '義母', 'father-in-law': '義父', 'mother-in-law': '義母',
  その他: 'その他', other: 'その他',
};

export function parseRelationship(input: string): string | undefined {
  const s = input.normalize('NFKC').trim().toLowerCase();
  return Object.hasOwn(RELATIONSHIPS, s) ? RELATIONSHIPS[s] : undefined;
}

/** Folds half-width kana and hiragana to full-width katakana; undefined if other letters remain. */
export function normaliseKana(input: string): string | undefined {
  const s = input
    .normalize('NFKC')
    .replace(/[\u3041-\u3096]/gu, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/\s+/gu, ' ')
    .trim();
  return /^[\u30A0-\u30FF ]+$/u.test(s) ? s : undefined;
}

/** Folds width and spacing of a name; names are kept as written otherwise. */
export function normaliseName(input: string): string {
  return normaliseText(input).replace(/\s+/gu, ' ').trim();
}

/** 社員番号 / 取引先コード: letters, digits, hyphen and underscore after NFKC. */
export function normaliseCode(input: string): string | undefined {
  const s = input.normalize('NFKC').trim();
  return /^[A-Za-z0-9_\-.]{1,32}$/u.test(s) ? s : undefined;
}
