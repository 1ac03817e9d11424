/**
 * Every filing codec the appliance offers, in the order the upload form lists
 * them. A kind absent here cannot be merged.
 */
import type { FilingCodec, FilingKind } from './filing.js';
import { APPLIANCE_CSV_CODEC } from './filing-appliance-csv.js';
import { EGOV_ACQUISITION_CODEC, EGOV_LOSS_CODEC } from './filing-egov.js';
import { ELTAX_SALARY_REPORT_CODEC } from './filing-eltax.js';
import { NTA_FEES_CODEC, NTA_REAL_ESTATE_CODEC, NTA_RETIREMENT_SLIP_CODEC, NTA_SALARY_SLIP_CODEC } from './filing-nta.js';

export const FILING_CODECS: readonly FilingCodec[] = [
  // The appliance's own column format, for payroll packages that import numbers (docs/csv-format.md).
  APPLIANCE_CSV_CODEC,
  // The official formats (国税庁 法定調書 CSV, eLTAX, 日本年金機構 届書 CSV): docs/filing-formats.md.
  NTA_SALARY_SLIP_CODEC,
  NTA_RETIREMENT_SLIP_CODEC,
  NTA_FEES_CODEC,
  NTA_REAL_ESTATE_CODEC,
  ELTAX_SALARY_REPORT_CODEC,
  EGOV_ACQUISITION_CODEC,
  EGOV_LOSS_CODEC,
];

export const findCodec = (kind: string): FilingCodec | undefined => FILING_CODECS.find((c) => c.kind === (kind as FilingKind));
