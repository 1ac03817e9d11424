/**
 * 提供・提出: where numbers that left the vault in an export went. Giving a
 * number to another legal person (a 行政機関 or a 委託先) is 提供 (番号法19条);
 * the guideline's 取扱状況の記録 lists 提出日 per destination, and a file taken
 * out of the 管理区域 is a 持出し to be recorded until it is deleted
 * (guideline 事業者編 安全管理措置 C-b, E-c).
 */
export type ProvisionDestination = 'tax_office' | 'municipality' | 'pension_office' | 'hello_work' | 'tax_accountant' | 'labour_consultant';

export const PROVISION_DESTINATION_LABEL: Record<ProvisionDestination, string> = {
  tax_office: '税務署',
  municipality: '市区町村',
  pension_office: '年金事務所・健康保険組合',
  hello_work: 'ハローワーク（公共職業安定所）',
  tax_accountant: '税理士（委託先）',
  labour_consultant: '社会保険労務士（委託先）',
};

export type ProvisionChannel = 'etax' | 'eltax' | 'egov' | 'media' | 'mail' | 'in_person';

export const PROVISION_CHANNEL_LABEL: Record<ProvisionChannel, string> = {
  etax: 'e-Tax',
  eltax: 'eLTAX',
  egov: 'e-Gov（電子申請）',
  media: '電子媒体（CD・DVD・USBメモリ）の提出',
  mail: '書類の郵送（書留等）',
  in_person: '書類の持参',
};

export const isProvisionDestination = (s: string): s is ProvisionDestination => Object.hasOwn(PROVISION_DESTINATION_LABEL, s);
export const isProvisionChannel = (s: string): s is ProvisionChannel => Object.hasOwn(PROVISION_CHANNEL_LABEL, s);
