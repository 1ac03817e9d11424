import type { PersonId } from '../../src/domain/persons.js';
import { defaultNoticePurposes, PURPOSES } from '../../src/domain/purposes.js';
import { codeTargets, type CodePurposes } from '../../src/services/intake.js';
import type { Vault } from '../../src/services/vault.js';


/**
 * Every purpose code. A fixture imported with it records, for each person, every
 * purpose of their kind as notified: what an upload without a choice recorded
 * before the choice was required (issue 11 point 3). Tests of the choice itself
 * pass their own lists.
 */
export const ALL_PURPOSES: string[] = PURPOSES.map((p) => p.code);
export const ALL_PURPOSES_QUERY = `purposes=${ALL_PURPOSES.join(',')}`;

/**
 * A self-intake code's choice as the person page offers it, ticked: each
 * person the code asks (the person and current dependants) with their kind's
 * default purposes. Issuing a code without a choice is refused.
 */
export function defaultCodePurposes(vault: Vault, personId: PersonId): CodePurposes {
  const person = vault.persons.byId(personId)!;
  return Object.fromEntries(codeTargets(vault, person).map((t) => [String(t.id), defaultNoticePurposes(t.kind) as string[]]));
}

/** The same choice as the person page's form fields (codePurposes=1, purposes_<id>). */
export function codeForm(vault: Vault, personId: PersonId): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = { codePurposes: '1' };
  for (const [id, codes] of Object.entries(defaultCodePurposes(vault, personId))) form[`purposes_${id}`] = codes;
  return form;
}
