/**
 * The 国税庁 法定調書 codecs: 給与所得の源泉徴収票, 退職所得の源泉徴収票, 報酬・料金等
 * and 不動産の使用料等の支払調書, each read from the CSV of 「法定調書の光ディスク等
 * による提出」/ e-Tax 法定調書 CSV (Shift_JIS, one record a line, no header).
 * The layouts and what in them is confirmed are in filing-nta-layouts.ts;
 * which edition a file's 年分 takes, in filing-nta-versions.ts.
 */
import type { FilingCodec, FilingSpec } from './filing.js';
import { parseNtaFile } from './filing-nta-record.js';
import { FEES_KIND, REAL_ESTATE_KIND, RETIREMENT_SLIP_KIND, SALARY_SLIP_KIND } from './filing-nta-versions.js';

const ntaSpec = (code: string, name: string, years: string): FilingSpec => ({
  title: `法定調書の光ディスク等による提出・e-Tax 法定調書CSV「レコードの内容及び記録要領」（${name}：${code}）`,
  edition: `資料識別コード${code}の版、${years}。項番1〜11は記録要領で確認、番号欄の位置は未確認（docs/filing-formats.md）`,
  publisher: '国税庁',
});

export const NTA_SALARY_SLIP_CODEC: FilingCodec = {
  kind: 'nta_salary_slip',
  label: '給与所得の源泉徴収票（税務署提出用・法定調書CSV）',
  spec: ntaSpec('375', '給与所得の源泉徴収票', '令和2年分〜令和6年分（144項目）。令和7年分以降の改正様式は番号欄の位置が未確認のため読み込まない'),
  purpose: 'withholding_slip',
  destination: 'tax_office',
  channel: 'etax',
  parse: (bytes) => parseNtaFile(bytes, 'nta_salary_slip', SALARY_SLIP_KIND, ['shift_jis']),
};

export const NTA_RETIREMENT_SLIP_CODEC: FilingCodec = {
  kind: 'nta_retirement_slip',
  label: '退職所得の源泉徴収票（税務署提出用・法定調書CSV）',
  spec: ntaSpec('316', '退職所得の源泉徴収票', '令和元年分以降（32項目）'),
  purpose: 'retirement_income_slip',
  destination: 'tax_office',
  channel: 'etax',
  parse: (bytes) => parseNtaFile(bytes, 'nta_retirement_slip', RETIREMENT_SLIP_KIND, ['shift_jis']),
};

export const NTA_FEES_CODEC: FilingCodec = {
  kind: 'nta_fees',
  label: '報酬、料金、契約金及び賞金の支払調書（法定調書CSV）',
  spec: ntaSpec('309', '報酬、料金、契約金及び賞金の支払調書', '令和元年分以降（23項目）'),
  purpose: 'payment_record_fees',
  destination: 'tax_office',
  channel: 'etax',
  parse: (bytes) => parseNtaFile(bytes, 'nta_fees', FEES_KIND, ['shift_jis']),
};

export const NTA_REAL_ESTATE_CODEC: FilingCodec = {
  kind: 'nta_real_estate',
  label: '不動産の使用料等の支払調書（法定調書CSV）',
  spec: ntaSpec('313', '不動産の使用料等の支払調書', '令和元年分以降（32項目）'),
  purpose: 'payment_record_real_estate',
  destination: 'tax_office',
  channel: 'etax',
  parse: (bytes) => parseNtaFile(bytes, 'nta_real_estate', REAL_ESTATE_KIND, ['shift_jis']),
};
