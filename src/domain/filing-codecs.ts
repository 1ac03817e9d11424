/**
 * Every filing codec the appliance offers, in the order the upload form lists
 * them. A kind absent here cannot be merged.
 */
import type { FilingCodec, FilingKind } from './filing.js';
import { APPLIANCE_CSV_CODEC } from './filing-appliance-csv.js';

export const FILING_CODECS: readonly FilingCodec[] = [APPLIANCE_CSV_CODEC];

export const findCodec = (kind: string): FilingCodec | undefined => FILING_CODECS.find((c) => c.kind === (kind as FilingKind));
