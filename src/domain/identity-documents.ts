/**
 * 本人確認 (番号法16条): 番号確認 + 身元確認 documents (docs/legal-sources.md, 本人確認).
 * One photo ID is enough for 身元確認, otherwise two non-photo documents; a
 * マイナンバーカード covers both checks on its own.
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
} as const;

export const OTHER_ID_DOCUMENTS = {
  health_insurance: '公的医療保険の資格確認書・被保険者証',
  pension_book: '年金手帳・基礎年金番号通知書',
  child_allowance: '児童扶養手当証書',
  special_child_allowance: '特別児童扶養手当証書',
} as const;

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

/** Why a combination of documents does not complete 身元確認, or undefined when it does. */
export function identityCheckProblem(numberDocument: string, identityDocuments: readonly string[]): string | undefined {
  if (!Object.hasOwn(NUMBER_DOCUMENTS, numberDocument)) return '番号確認の書類を一覧から選んでください。';
  for (const d of identityDocuments) {
    if (identityDocumentLabel(d) === undefined) return '身元確認の書類は一覧から選んでください。';
  }
  if (numberDocument === 'my_number_card') return undefined;
  if (identityDocuments.includes(KNOWN_BY_EMPLOYER)) return undefined;
  if (identityDocuments.some((d) => Object.hasOwn(PHOTO_ID_DOCUMENTS, d))) return undefined;
  const others = new Set(identityDocuments.filter((d) => Object.hasOwn(OTHER_ID_DOCUMENTS, d)));
  if (others.size >= 2) return undefined;
  return '身元確認には写真付きの書類1点、または写真のない書類2点が必要です（マイナンバーカードなら1枚で番号確認と身元確認の両方になります）。';
}
