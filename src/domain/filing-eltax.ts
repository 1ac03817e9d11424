/**
 * The eLTAX codec: 給与支払報告書（個人別明細書）as the CSV that PCdesk and the
 * municipalities take (法定資料の種類 315), the record the 総務省 notice of
 * 平成25年11月21日（総税市第49号）made common to e-Tax and eLTAX. Shift_JIS as
 * the notice's 技術基準 requires, or UTF-8, which PCdesk also reads. Its items
 * follow the 源泉徴収票's layout (filing-nta-layouts.ts), with 提出区分 in item 10,
 * and its editions by 年分 are the 源泉徴収票's (filing-nta-versions.ts).
 */
import type { FilingCodec } from './filing.js';
import { parseNtaFile } from './filing-nta-record.js';
import { SALARY_REPORT_KIND } from './filing-nta-versions.js';

export const ELTAX_SALARY_REPORT_CODEC: FilingCodec = {
  kind: 'eltax_salary_report',
  label: '給与支払報告書（個人別明細書・eLTAX CSV）',
  spec: {
    title: '給与支払報告書・源泉徴収票 統一CSVレイアウト（個人別明細書、法定資料の種類315）',
    edition:
      '総税市第49号（平成25年11月21日）に基づく光ディスク等・eLTAX提出用、令和2年分〜令和6年分の版（基礎控除・所得金額調整控除・ひとり親の項目を含む144項目）。令和7年分以降の改正様式は番号欄の位置が未確認のため読み込まない（docs/filing-formats.md）',
    publisher: '総務省自治税務局・地方税共同機構（eLTAX）',
  },
  purpose: 'salary_payment_report',
  destination: 'municipality',
  channel: 'eltax',
  parse: (bytes) => parseNtaFile(bytes, 'eltax_salary_report', SALARY_REPORT_KIND, ['shift_jis', 'utf8']),
};
