import { looksLikeNumber } from './digits.js';
import type { PersonKind } from './persons.js';

/**
 * 本人確認 (番号法16条, 施行令12条, 施行規則1条〜4条): 番号確認 + 身元確認 documents
 * (docs/legal-sources.md, 本人確認).
 * One photo ID is enough for 身元確認, otherwise two non-photo documents; a
 * マイナンバーカード covers both checks on its own. See identityRuleProblem for
 * who may use which route (the person's kind, the method, the history).
 */
export type IdentityMethod = 'in_person' | 'mail' | 'online';

export const IDENTITY_METHOD_LABEL: Record<IdentityMethod, string> = { in_person: '対面', mail: '郵送', online: 'オンライン' };

export const NUMBER_DOCUMENTS = {
  my_number_card: 'マイナンバーカード（個人番号カード）',
  notification_card: '通知カード（氏名・住所等が住民票と一致する場合）',
  resident_record: '個人番号が記載された住民票の写し・住民票記載事項証明書',
  earlier_file: '過去に本人確認して作成した特定個人情報ファイル',
} as const;

export const PHOTO_ID_DOCUMENTS = {
  my_number_card: 'マイナンバーカード（個人番号カード）',
  drivers_license: '運転免許証',
  driving_history: '運転経歴証明書（平成24年4月1日以降交付）',
  passport: '旅券（パスポート）',
  disability_certificate: '身体障害者手帳',
  mental_health_certificate: '精神障害者保健福祉手帳',
  rehabilitation_certificate: '療育手帳',
  residence_card: '在留カード',
  special_permanent_resident: '特別永住者証明書',
  // 施行規則1条1項2号・2条: other photo documents issued by a 官公署 with name and birth date or address.
  official_photo_id: '官公署発行の写真付き書類（船員手帳・海技免状・宅地建物取引士証・電気工事士免状・無線従事者免許証 等）',
} as const;

export const OTHER_ID_DOCUMENTS = {
  health_insurance: '公的医療保険の資格確認書・被保険者証',
  pension_book: '年金手帳・基礎年金番号通知書',
  child_allowance: '児童扶養手当証書',
  special_child_allowance: '特別児童扶養手当証書',
  // 施行規則1条1項3号ロ: 官公署又は個人番号利用事務実施者・関係事務実施者が発行した書類で氏名と生年月日又は住所があるもの.
  official_non_photo: '官公署等が発行した書類（氏名・生年月日又は住所の記載あり、写真なし：住民票の写し（番号なし）・印鑑登録証明書 等）',
  other_named: 'その他（名称を記入）',
} as const;

/** 代理人による本人確認 (施行規則6条〜9条): the document that shows the 代理権. */
export const AUTHORITY_DOCUMENTS = {
  power_of_attorney: '委任状（任意代理人）',
  family_register: '戸籍謄本その他資格を証明する書類（法定代理人）',
} as const;

/** How the check was done: the person themself, the employee for a dependant (年末調整), or a proxy. */
export type IdentityRoute = 'direct' | 'employee_declaration' | 'proxy';

export const IDENTITY_ROUTE_LABEL: Record<IdentityRoute, string> = {
  direct: '本人から（本人確認書類）',
  employee_declaration: '従業員が確認（扶養控除等申告書）',
  proxy: '代理人から（代理権・代理人の身元・本人の番号を確認）',
};

/** 雇用関係等により本人に相違ないことが明らかな場合は身元確認書類の提示は不要. */
export const KNOWN_BY_EMPLOYER = 'known_by_employer';
export const KNOWN_BY_EMPLOYER_LABEL = '雇用関係にあり本人に相違ないことが明らか（身元確認書類の提示不要）';

export type NumberDocument = keyof typeof NUMBER_DOCUMENTS;

export function identityDocumentLabel(code: string): string | undefined {
  if (code === KNOWN_BY_EMPLOYER) return KNOWN_BY_EMPLOYER_LABEL;
  if (Object.hasOwn(PHOTO_ID_DOCUMENTS, code)) return (PHOTO_ID_DOCUMENTS as Record<string, string>)[code];
  if (Object.hasOwn(OTHER_ID_DOCUMENTS, code)) return (OTHER_ID_DOCUMENTS as Record<string, string>)[code];
  return undefined;
}

/**
 * The facts a 本人確認 is judged on: who the person is (kind), how (method,
 * route), what was seen, which purposes were notified, and the history
 * (whether an earlier check on record was for this same number).
 */
export interface IdentityCheckFacts {
  kind: PersonKind;
  method: IdentityMethod;
  route: IdentityRoute;
  numberDocument: string;
  identityDocuments: readonly string[];
  /** The name written for 「その他（名称を記入）」. */
  otherDocumentName: string;
  /** For route 'proxy': the 代理権 document and the proxy's own identity documents. */
  authorityDocument: string;
  proxyDocuments: readonly string[];
  purposes: readonly string[];
  /** An earlier 本人確認 is on record for this person with the same number (keyed index). */
  earlierCheckSameNumber: boolean;
}

/** Purposes for which the employer itself must check a dependant (国民年金第3号被保険者届, 被扶養者異動届). */
const EMPLOYER_CHECKS_DEPENDANT: readonly string[] = ['health_dependant_change'];

/**
 * Why this check does not meet the rules, or undefined. Stricter readings taken:
 * - 「雇用関係にあり人違いでないことが明らか」 is for the company's own employees
 *   only, and only face to face (PPC FAQ / 国税庁: 雇用関係等, 対面で確認);
 * - 「過去に本人確認して作成した特定個人情報ファイル」 is a 番号確認 only when a
 *   check is on record for this person and the number given is the same (施行規則3条1項5号);
 * - a dependant's number may be recorded as checked by the employee (扶養控除等申告書:
 *   the employee is the 個人番号関係事務実施者) only when no purpose makes the
 *   employer check it (第3号・被扶養者異動): then the check is direct or by a proxy;
 * - a proxy check needs the 代理権 document, the proxy's 身元確認 and the person's 番号確認.
 */
export function identityRuleProblem(f: IdentityCheckFacts): { field: string; message: string } | undefined {
  if (f.route === 'employee_declaration') {
    if (f.kind !== 'dependant') return { field: 'route', message: '「従業員が確認（扶養控除等申告書）」は扶養親族にだけ使えます。' };
    if (f.purposes.some((p) => EMPLOYER_CHECKS_DEPENDANT.includes(p))) {
      return { field: 'route', message: '国民年金第3号被保険者・被扶養者異動の届出に使う番号は、事業者が本人確認します。本人から、または代理人（従業員）から確認してください。' };
    }
    return undefined;
  }
  const number = numberDocumentProblem(f);
  if (number) return { field: 'numberDocument', message: number };
  if (f.route === 'proxy') {
    if (!Object.hasOwn(AUTHORITY_DOCUMENTS, f.authorityDocument)) return { field: 'authorityDocument', message: '代理権を確認した書類（委任状・戸籍謄本等）を選んでください。' };
    const proxy = identityDocumentsProblem(f, f.proxyDocuments, '代理人');
    if (proxy) return { field: 'proxyDocuments', message: proxy };
    return undefined;
  }
  if (f.route !== 'direct') return { field: 'route', message: '本人確認の方法（本人から・従業員が確認・代理人から）を選んでください。' };
  const identity = identityDocumentsProblem(f, f.identityDocuments, '本人');
  return identity ? { field: 'identityDocuments', message: identity } : undefined;
}

function numberDocumentProblem(f: IdentityCheckFacts): string | undefined {
  if (!Object.hasOwn(NUMBER_DOCUMENTS, f.numberDocument)) return '番号確認の書類を一覧から選んでください。';
  if (f.numberDocument === 'earlier_file' && !f.earlierCheckSameNumber) {
    return '「過去に本人確認して作成した特定個人情報ファイル」は、この人の本人確認の記録があり、同じ個人番号のときだけ使えます。初めての取得では番号確認の書類を確認してください。';
  }
  return undefined;
}

function identityDocumentsProblem(f: IdentityCheckFacts, docs: readonly string[], whose: '本人' | '代理人'): string | undefined {
  for (const d of docs) if (identityDocumentLabel(d) === undefined) return '身元確認の書類は一覧から選んでください。';
  if (docs.includes('other_named')) {
    const name = f.otherDocumentName.normalize('NFKC').trim();
    if (name === '' || name.length > 60) return '「その他」を選んだときは、書類の名称を60文字以内で書いてください。';
    if (looksLikeNumber(name) || /[0-9０-９]{4,}/u.test(name)) return '書類の名称に番号を書かないでください（個人番号・証明書番号は記録しません）。名称だけを書いてください。';
  }
  if (docs.includes(KNOWN_BY_EMPLOYER)) {
    const own = whose === '本人' ? f.kind === 'employee' : true;
    if (!own) return '「雇用関係にあり本人に相違ないことが明らか」は、自社の従業員本人にだけ使えます。身元確認の書類を選んでください。';
    if (f.method !== 'in_person') return '「雇用関係にあり本人に相違ないことが明らか」は対面で確認したときだけ使えます。郵送・オンラインでは身元確認の書類の写し等を確認してください。';
    return undefined;
  }
  if (whose === '本人' && f.numberDocument === 'my_number_card') return undefined;
  if (docs.includes('my_number_card')) return undefined;
  if (docs.some((d) => Object.hasOwn(PHOTO_ID_DOCUMENTS, d))) return undefined;
  const others = new Set(docs.filter((d) => Object.hasOwn(OTHER_ID_DOCUMENTS, d)));
  if (others.size >= 2) return undefined;
  return `${whose}の身元確認には写真付きの書類1点、または写真のない書類2点が必要です（マイナンバーカードなら1枚で番号確認と身元確認の両方になります）。`;
}
