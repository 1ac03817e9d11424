import { PURPOSES } from '../../src/domain/purposes.js';

/**
 * Every purpose code. A fixture imported with it records, for each person, every
 * purpose of their kind as notified: what an upload without a choice recorded
 * before the choice was required (issue 11 point 3). Tests of the choice itself
 * pass their own lists.
 */
export const ALL_PURPOSES: string[] = PURPOSES.map((p) => p.code);
export const ALL_PURPOSES_QUERY = `purposes=${ALL_PURPOSES.join(',')}`;
