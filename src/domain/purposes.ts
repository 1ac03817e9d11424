import type { PersonKind } from './persons.js';

/**
 * The legal purposes (個人番号関係事務) for which a company may use a number.
 * This catalog is the one list behind every purpose choice: intake notices,
 * reveals, exports and reports all take a code from here.
 * Source: docs/legal-sources.md, 個人番号関係事務 (国税庁, 日本年金機構, ハローワーク guidance).
 */
export interface Purpose {
  code: PurposeCode;
  /** The 事務 as named in the notice of purposes (利用目的の通知). */
  name: string;
  /** The forms that carry the number. */
  forms: string;
  submittedTo: string;
  /** Whose numbers this purpose concerns. */
  appliesTo: readonly PersonKind[];
}

export const PURPOSES = [
  {
    code: 'withholding_slip',
    name: '源泉徴収票作成事務',
    forms: '給与所得の源泉徴収票（税務署提出用）',
    submittedTo: '税務署',
    appliesTo: ['employee', 'dependant'],
  },
  {
    code: 'salary_payment_report',
    name: '給与支払報告書作成事務',
    forms: '給与支払報告書（個人別明細書・総括表）',
    submittedTo: '市区町村（1月1日の住所地）',
    appliesTo: ['employee', 'dependant'],
  },
  {
    code: 'retirement_income_slip',
    name: '退職所得の源泉徴収票・特別徴収票作成事務',
    forms: '退職所得の源泉徴収票・特別徴収票',
    submittedTo: '税務署・市区町村',
    appliesTo: ['employee'],
  },
  {
    code: 'dependant_declaration',
    name: '扶養控除等申告書に関する事務',
    forms: '給与所得者の扶養控除等（異動）申告書、配偶者控除等申告書、保険料控除申告書ほか',
    submittedTo: '事業者保管（税務署の求めに応じ提出）',
    appliesTo: ['employee', 'dependant'],
  },
  {
    code: 'payment_record_fees',
    name: '報酬・料金等の支払調書作成事務',
    forms: '報酬、料金、契約金及び賞金の支払調書',
    submittedTo: '税務署',
    appliesTo: ['payee'],
  },
  {
    code: 'payment_record_real_estate',
    name: '不動産の使用料等の支払調書作成事務',
    forms: '不動産の使用料等の支払調書',
    submittedTo: '税務署',
    appliesTo: ['payee'],
  },
  {
    code: 'payment_record_real_estate_transfer',
    name: '不動産等の譲受けの対価・あっせん手数料の支払調書作成事務',
    forms: '不動産等の譲受けの対価の支払調書、不動産等の売買又は貸付けのあっせん手数料の支払調書',
    submittedTo: '税務署',
    appliesTo: ['payee'],
  },
  {
    code: 'payment_record_dividends',
    name: '配当等の支払調書作成事務',
    forms: '配当、剰余金の分配、金銭の分配及び基金利息の支払調書',
    submittedTo: '税務署',
    appliesTo: ['payee'],
  },
  {
    code: 'health_pension_insurance',
    name: '健康保険・厚生年金保険届出事務',
    forms: '被保険者資格取得届・資格喪失届ほか',
    submittedTo: '年金事務所・健康保険組合',
    appliesTo: ['employee'],
  },
  {
    code: 'health_dependant_change',
    name: '健康保険被扶養者・国民年金第3号被保険者届出事務',
    forms: '健康保険被扶養者（異動）届、国民年金第3号被保険者関係届',
    submittedTo: '年金事務所・健康保険組合',
    appliesTo: ['dependant'],
  },
  {
    code: 'employment_insurance',
    name: '雇用保険届出事務',
    forms: '雇用保険被保険者資格取得届・資格喪失届',
    submittedTo: '公共職業安定所（ハローワーク）',
    appliesTo: ['employee'],
  },
  {
    code: 'employment_insurance_benefits',
    name: '雇用継続給付等申請事務',
    forms: '高年齢雇用継続給付・育児休業給付・介護休業給付の申請',
    submittedTo: '公共職業安定所（ハローワーク）',
    appliesTo: ['employee'],
  },
] as const satisfies readonly (Omit<Purpose, 'code'> & { code: string })[];

export type PurposeCode = (typeof PURPOSES)[number]['code'];

const BY_CODE = new Map<string, Purpose>(PURPOSES.map((p) => [p.code, p]));

export function findPurpose(code: string): Purpose | undefined {
  return BY_CODE.get(code);
}

export function isPurposeCode(code: string): code is PurposeCode {
  return BY_CODE.has(code);
}

/** The purposes that concern a person of this kind, in catalog order. */
export function purposesFor(kind: PersonKind): Purpose[] {
  return PURPOSES.filter((p) => (p.appliesTo as readonly PersonKind[]).includes(kind));
}

export function purposeCodesFor(kind: PersonKind): PurposeCode[] {
  return purposesFor(kind).map((p) => p.code);
}

/**
 * The purposes pre-selected when a handler notifies a person of a kind. Only
 * what arises for everyone of the kind: for dependants not the 第3号・被扶養者
 * 異動 filing (it concerns only a spouse or a dependant on the health insurance,
 * and needs a 代理人 check); for payees nothing (a 弁護士's fee and a landlord's
 * rent are different 事務: the handler picks). Stricter reading of 個人情報保護法
 * 21条 with PPC FAQ Q1-3: notify what the person's relationship actually gives rise to.
 */
export function defaultNoticePurposes(kind: PersonKind): PurposeCode[] {
  if (kind === 'payee') return [];
  if (kind === 'dependant') return ['withholding_slip', 'salary_payment_report', 'dependant_declaration'];
  return purposeCodesFor('employee');
}
